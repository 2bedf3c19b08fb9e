/*
 * region.c: growable MAP_SHARED mappings of a file, whose old mappings are
 * unmapped only after a grace period.
 *
 * A region publishes one pointer, head.view, to an immutable view object
 * {base, size}.  Readers copy it inside a read-side critical section
 * (urcu_tlb_region_view(), inline with _LGPL_SOURCE): base and size come
 * from the same object, so they always agree.  A grow, under grow_lock,
 * extends the file, makes the mapping cover the new size, publishes a new
 * view object and retires the old one:
 *
 *   in place     the mapping keeps its base: the pages of the new length are
 *                mapped into address space reserved after the mapping
 *                (headroom, MAP_FIXED over our own PROT_NONE reservation),
 *                or, with no headroom left, mremap() without MREMAP_MAYMOVE
 *                extends it when the addresses after it are free.  The old
 *                view object is freed after a grace period (call_rcu); no
 *                address a reader may hold ever stops being mapped.
 *   moved        the file is mapped again at a new address (with fresh
 *                headroom).  The old mapping stays mapped until a grace
 *                period has passed since the new view was published, then
 *                is unmapped: synchronize_rcu() in the caller, or call_rcu
 *                with URCU_TLB_REGION_DEFER.
 *
 * Why this is safe.  A reader that copied the old view did so inside a
 * section that began before the new view was published (else it would
 * have read the new pointer: Claim 1 in src/gp.c), and the grace
 * period that precedes the unmap waits for that section to end.  Both
 * mappings are MAP_SHARED mappings of the same file, so they show the same
 * page-cache pages: a write through the old view during the grace period is
 * visible through the new one and reaches the file.  Growth never touches
 * the pages below the old length: mremap() without MREMAP_MAYMOVE either
 * extends in place or fails, and MAP_FIXED only replaces the headroom,
 * which no view covers.
 *
 * Deadlock freedom.  grow_lock is never held across a grace period: the
 * grace period of a blocking grow runs after the lock is dropped.  So a
 * thread inside a read-side critical section may wait for grow_lock
 * (reserve() does): the holder waits only for the file system and mmap.
 * reserve() never waits for a grace period at all (its grows are deferred).
 *
 * Reservations.  `reserved` (the end of the reservations) only moves by
 * compare-and-swap, and only to an end not beyond `size`, read before the
 * CAS; `size` is stored after the view that covers it is published.  So
 * reserved <= size at all times, and a thread that reads `reserved` (or
 * made a reservation) and then takes a view gets one that covers it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <urcu-tlb/testing.h>
#include "internal.h"

/* Address space reserved for a new mapping, as a multiple of its length:
 * when the region doubles, the next three grows stay in place. */
#define HEADROOM_FACTOR		8

/* One published view.  Immutable once published. */
struct view_obj {
	struct urcu_tlb_region_view view;	/* first: what readers copy */
	struct rcu_head rh;
	struct urcu_tlb_region *r;		/* for the pending count */
	/* Set when the view is retired by a grow that moved the mapping:
	 * the whole reservation it lived in, unmapped after the grace
	 * period. */
	void *unmap_base;
	size_t unmap_len;
};

struct urcu_tlb_region {
	struct _urcu_tlb_region_head head;	/* first: read by the inline view */
	int fd;
	bool anon;
	/* Serialises grows.  Never held across a grace period. */
	pthread_mutex_t grow_lock;
	/* Under grow_lock: */
	struct view_obj *cur;	/* what head.view points to */
	size_t mapped;		/* file bytes mapped at cur's base (pages) */
	size_t span;		/* address space owned there: mapped + headroom */
	size_t step;		/* growth reserve() tries first; 0: double */
	/* Atomic, read without the lock: */
	size_t size;		/* cur->view.size, stored after cur is published */
	size_t reserved;	/* end of the reservations; <= size */
	unsigned long pending;	/* retired views whose callback has not run */
};

/* Control runs only (urcu-tlb/testing.h). */
static int testing_flags;

static size_t page_size(void)
{
	static size_t ps;
	size_t v = uatomic_read(&ps);

	if (!v) {
		v = (size_t) sysconf(_SC_PAGESIZE);
		uatomic_set(&ps, v);
	}
	return v;
}

/* The largest region: page-aligned, so rounding a size up cannot
 * overflow, and representable as off_t and ptrdiff_t. */
static size_t max_size(void)
{
	return (size_t) PTRDIFF_MAX & ~(page_size() - 1);
}

/* n <= max_size(). */
static size_t page_round(size_t n)
{
	return (n + page_size() - 1) & ~(page_size() - 1);
}

static int fail(int err)
{
	errno = err;
	return -1;
}

/* ---- the file ----------------------------------------------------------- */

/*
 * Make the file `to` bytes long (it is `from`).  Files get their blocks
 * allocated now, so that a full disk or a quota is ENOSPC here instead of
 * SIGBUS at a reader's first touch; posix_fallocate() writes zeros where
 * the file system lacks fallocate, only beyond the old end, which no view
 * covers.  A memfd is only resized: its memory is allocated on first
 * touch, like anonymous memory.
 */
static int extend_file(struct urcu_tlb_region *r, size_t from, size_t to)
{
	int err;

	if (to <= from)
		return 0;
	if (r->anon)
		return ftruncate(r->fd, (off_t) to);
	do
		err = posix_fallocate(r->fd, (off_t) from, (off_t) (to - from));
	while (err == EINTR);
	return err ? fail(err) : 0;
}

/* After a failed grow: give back what a partial extension added.  Nothing
 * below `size` is touched, and no view reaches beyond it. */
static void unextend_file(struct urcu_tlb_region *r, size_t size)
{
	int err = errno;
	struct stat st;

	if (!fstat(r->fd, &st) && (uintmax_t) st.st_size > size)
		(void) !ftruncate(r->fd, (off_t) size);
	errno = err;
}

/* ---- mappings ----------------------------------------------------------- */

/*
 * Map len bytes of the file (len a page multiple) at a new address, inside
 * a PROT_NONE reservation HEADROOM_FACTOR times as long when the address
 * space allows (RLIMIT_AS may not).  Sets *span to the bytes owned.
 */
static void *map_new(int fd, size_t len, size_t *span)
{
	size_t want = len <= max_size() / HEADROOM_FACTOR ?
		      len * HEADROOM_FACTOR : len;
	void *res = MAP_FAILED, *p;
	int err;

	if (uatomic_read(&testing_flags) & URCU_TLB_TESTING_REGION_NO_HEADROOM)
		want = len;

	if (want > len)
		res = mmap(NULL, want, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED) {
		want = len;
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	} else {
		p = mmap(res, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			 fd, 0);
		if (p == MAP_FAILED) {
			err = errno;
			munmap(res, want);
			errno = err;
		}
	}
	if (p == MAP_FAILED)
		return NULL;
	*span = want;
	return p;
}

static void unmap(void *base, size_t len)
{
	static int said;

	if (len && munmap(base, len) && !uatomic_xchg(&said, 1))
		tlb_say("urcu_tlb_region: munmap of a retired mapping failed (%s); its address space leaks",
			strerror(errno));
}

/*
 * Make the current mapping cover len bytes (a page multiple above
 * r->mapped) without moving it.  Returns whether it could.
 */
static bool grow_in_place(struct urcu_tlb_region *r, size_t len)
{
	char *base = r->cur->view.base;

	if (!base || (uatomic_read(&testing_flags) & URCU_TLB_TESTING_REGION_MOVE))
		return false;
	if (len <= r->span) {
		if (mmap(base + r->mapped, len - r->mapped, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, r->fd, (off_t) r->mapped)
		    != MAP_FAILED) {
			r->mapped = len;
			return true;
		}
		/*
		 * A failed MAP_FIXED may have unmapped part of the headroom
		 * (older kernels do not restore it), so it is no longer ours
		 * to map over: forget it.  The rest of it leaks as PROT_NONE
		 * address space; unmapping it could hit someone else's
		 * mapping made in the hole meanwhile.
		 */
		r->span = r->mapped;
	}
	if (r->span == r->mapped && mremap(base, r->mapped, len, 0) != MAP_FAILED) {
		r->mapped = r->span = len;
		return true;
	}
	return false;
}

/*
 * grow_lock held, new_size above the current size.  Extends the file, maps
 * it, publishes the new view.  Returns the view it replaced (to retire, with
 * unmap_len set if the mapping moved), or NULL with errno and nothing
 * changed.
 */
static struct view_obj *grow_locked(struct urcu_tlb_region *r, size_t new_size)
{
	struct view_obj *old = r->cur, *nv;
	size_t len = page_round(new_size), span;
	void *base = old->view.base;

	nv = calloc(1, sizeof(*nv));
	if (!nv)
		return NULL;
	if (extend_file(r, old->view.size, new_size))
		goto undo;	/* a partial extension (ENOSPC midway) */
	if (len > r->mapped && !grow_in_place(r, len)) {
		base = map_new(r->fd, len, &span);
		if (!base)
			goto undo;
		old->unmap_base = old->view.base;
		old->unmap_len = r->span;
		r->mapped = len;
		r->span = span;
	}
	nv->view.base = base;
	nv->view.size = new_size;
	nv->r = r;
	r->cur = nv;
	/* Publish: the view object is written before the pointer. */
	rcu_assign_pointer(r->head.view, &nv->view);
	/* The view before the size: reserve() relies on it (see the top). */
	cmm_smp_wmb();
	uatomic_set(&r->size, new_size);
	return old;
undo:
	unextend_file(r, old->view.size);
	free(nv);
	return NULL;
}

static void reclaim(struct view_obj *v)
{
	unmap(v->unmap_base, v->unmap_len);
	free(v);
}

static void reclaim_cb(struct rcu_head *rh)
{
	struct view_obj *v = caa_container_of(rh, struct view_obj, rh);
	struct urcu_tlb_region *r = v->r;

	reclaim(v);
	/* The last access to r: close() waits for it (urcu_tlb_barrier). */
	uatomic_dec(&r->pending);
}

/*
 * Free the unpublished view old, and unmap its mapping if it moved, after
 * a grace period: waiting for it here, or through call_rcu with
 * URCU_TLB_REGION_DEFER.  A view whose mapping stayed in place goes
 * through call_rcu either way: only a small object waits.
 */
static void retire(struct urcu_tlb_region *r, struct view_obj *old, int flags)
{
	if (old->unmap_len &&
	    (uatomic_read(&testing_flags) & URCU_TLB_TESTING_REGION_UNMAP_EARLY)) {
		unmap(old->unmap_base, old->unmap_len);	/* the unsafe control */
		old->unmap_len = 0;
	}
	if (old->unmap_len && !(flags & URCU_TLB_REGION_DEFER)) {
		urcu_tlb_synchronize_rcu();
		reclaim(old);
		return;
	}
	uatomic_inc(&r->pending);
	urcu_tlb_call_rcu(&old->rh, reclaim_cb);
}

/* ---- opening and closing ------------------------------------------------ */

static struct urcu_tlb_region *region_new(int fd, size_t size, bool anon)
{
	struct urcu_tlb_region *r = calloc(1, sizeof(*r));
	struct view_obj *v = calloc(1, sizeof(*v));
	size_t file_size, len;
	struct stat st;
	void *base = NULL;

	if (!r || !v)
		goto fail;
	if (fstat(fd, &st))
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	if ((uintmax_t) st.st_size > max_size()) {
		errno = EOVERFLOW;
		goto fail;
	}
	file_size = (size_t) st.st_size;
	r->fd = fd;
	r->anon = anon;
	if (size < file_size)
		size = file_size;
	len = page_round(size);
	if (extend_file(r, file_size, size) ||
	    (len && !(base = map_new(fd, len, &r->span)))) {
		unextend_file(r, file_size);
		goto fail;
	}
	r->mapped = len;
	v->view.base = base;
	v->view.size = size;
	v->r = r;
	r->cur = v;
	r->head.view = &v->view;
	r->size = size;
	pthread_mutex_init(&r->grow_lock, NULL);
	return r;
fail:
	free(v);
	free(r);
	return NULL;
}

/* Open path read-write; with URCU_TLB_REGION_CREATE create it if missing,
 * and say whether this call created it. */
static int open_file(const char *path, int flags, mode_t mode, bool *created)
{
	int fd;

	*created = false;
	for (;;) {
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd >= 0 || errno != ENOENT || !(flags & URCU_TLB_REGION_CREATE))
			return fd;
		fd = open(path, O_RDWR | O_CLOEXEC | O_CREAT | O_EXCL, mode);
		if (fd >= 0) {
			*created = true;
			return fd;
		}
		if (errno != EEXIST)
			return -1;
		/* Created by someone else meanwhile: open theirs. */
	}
}

struct urcu_tlb_region *urcu_tlb_region_open(const char *path, size_t size,
					     int flags, mode_t mode)
{
	struct urcu_tlb_region *r;
	bool created;
	int fd, err;

	if (!path || !*path || (flags & ~URCU_TLB_REGION_CREATE)) {
		errno = EINVAL;
		return NULL;
	}
	if (size > max_size()) {
		errno = EOVERFLOW;
		return NULL;
	}
	fd = open_file(path, flags, mode ? mode : 0600, &created);
	if (fd < 0)
		return NULL;
	r = region_new(fd, size, false);
	if (!r) {
		err = errno;
		if (created)
			unlink(path);
		close(fd);
		errno = err;
	}
	return r;
}

struct urcu_tlb_region *urcu_tlb_region_anon(size_t size)
{
	struct urcu_tlb_region *r;
	int fd, err;

	if (size > max_size()) {
		errno = EOVERFLOW;
		return NULL;
	}
	fd = memfd_create("urcu-tlb-region", MFD_CLOEXEC);
	if (fd < 0)
		return NULL;
	r = region_new(fd, size, true);
	if (!r) {
		err = errno;
		close(fd);
		errno = err;
	}
	return r;
}

int urcu_tlb_region_close(struct urcu_tlb_region *r)
{
	int rc;

	if (!r)
		return fail(EINVAL);
	if (tlb_in_read_section())
		urcu_tlb_misuse("urcu_tlb_region_close",
			"called inside a read-side critical section (it waits for every reader, this one included)");
	urcu_tlb_synchronize_rcu();		/* readers of the current view */
	if (uatomic_read(&r->pending))
		urcu_tlb_barrier();		/* deferred unmaps */
	unmap(r->cur->view.base, r->span);
	free(r->cur);
	pthread_mutex_destroy(&r->grow_lock);
	rc = close(r->fd);
	free(r);
	return rc ? -1 : 0;
}

/* ---- the view ----------------------------------------------------------- */

#undef urcu_tlb_region_view
struct urcu_tlb_region_view urcu_tlb_region_view(struct urcu_tlb_region *r)
{
	return _urcu_tlb_region_view(r);
}

/* ---- growing ------------------------------------------------------------ */

int urcu_tlb_region_grow_flags(struct urcu_tlb_region *r, size_t new_size,
			       int flags)
{
	struct view_obj *old;
	size_t size;
	int cancel, err;

	if (!r || (flags & ~URCU_TLB_REGION_DEFER))
		return fail(EINVAL);
	if (!(flags & URCU_TLB_REGION_DEFER) && tlb_in_read_section())
		urcu_tlb_misuse("urcu_tlb_region_grow",
			"called inside a read-side critical section without URCU_TLB_REGION_DEFER (the grace period would wait for this thread forever)");
	if (new_size > max_size())
		return fail(EOVERFLOW);
	cancel = tlb_nocancel();	/* file writes under grow_lock */
	pthread_mutex_lock(&r->grow_lock);
	size = r->cur->view.size;
	if (new_size <= size) {
		pthread_mutex_unlock(&r->grow_lock);
		tlb_cancel_restore(cancel);
		return new_size == size ? 0 : fail(EINVAL);
	}
	old = grow_locked(r, new_size);
	err = errno;
	pthread_mutex_unlock(&r->grow_lock);
	tlb_cancel_restore(cancel);
	if (!old)
		return fail(err);
	retire(r, old, flags);
	return 0;
}

int urcu_tlb_region_grow(struct urcu_tlb_region *r, size_t new_size)
{
	return urcu_tlb_region_grow_flags(r, new_size, 0);
}

/*
 * The first growth a reserve() that needs `need` bytes tries: double the
 * size (at least a page), but not past RLIMIT_FSIZE, so that doubling
 * alone never raises SIGXFSZ or EFBIG when `need` itself fits; only `step`
 * bytes more when that is less.
 */
static size_t growth_target(size_t size, size_t need, size_t step)
{
	size_t cap = max_size(), target;
	struct rlimit rl;

	if (!getrlimit(RLIMIT_FSIZE, &rl) && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < cap)
		cap = rl.rlim_cur;
	target = size < cap / 2 ? page_round(2 * size) : cap;
	if (target < page_size())
		target = page_size();
	if (target > cap)
		target = cap;
	if (step && target > size && step < target - size)
		target = size + step;
	return target > need ? target : need;
}

/* Errors that say a resource ran short: a smaller growth may fit. */
static bool short_of_resource(int err)
{
	return err == ENOSPC || err == EDQUOT || err == EFBIG || err == ENOMEM;
}

/*
 * The growth to try after `target` was short of a resource: halfway down
 * to `need` (page-rounded), and `need` itself once less than a page is
 * left to halve.  Halving rather than dropping to `need` at once finds at
 * least half of the growth that fits, in a few tries, so that the next
 * reserves do not each have to grow again.
 */
static size_t smaller_target(size_t target, size_t need)
{
	size_t half = page_round(need + (target - need) / 2);

	return half < target ? half : need;
}

/*
 * grow_lock held, the region smaller than need: grow_locked() to the first
 * target of reserve's policy that can be had.  After a shortage, the next
 * reserve starts from the growth that fit (or from need, when none did),
 * so that growing near a full disk does not try the doubling each time
 * (without fallocate, each try writes a block after another until the disk
 * is full, then is truncated away); each growth that fits at the first try
 * doubles the step again, back to doubling the region.
 */
static struct view_obj *grow_to_cover(struct urcu_tlb_region *r, size_t need)
{
	size_t size = r->cur->view.size;
	size_t target = growth_target(size, need, r->step);
	struct view_obj *old;
	bool fell_short = false;

	while (!(old = grow_locked(r, target)) && short_of_resource(errno)) {
		fell_short = true;
		if (target == need)
			break;
		target = smaller_target(target, need);
	}
	if (fell_short)
		r->step = target - size;
	else if (old && r->step)	/* 0 once as large as the region */
		r->step = 2 * (target - size) < target ? 2 * (target - size) : 0;
	return old;
}

/* Make the region at least `need` bytes long, never waiting for a grace
 * period. */
static int ensure_size(struct urcu_tlb_region *r, size_t need)
{
	struct view_obj *old = NULL;
	int err = 0, cancel = tlb_nocancel();	/* file writes under grow_lock */

	pthread_mutex_lock(&r->grow_lock);
	if (r->cur->view.size < need) {
		old = grow_to_cover(r, need);
		err = old ? 0 : errno;
	}
	pthread_mutex_unlock(&r->grow_lock);
	tlb_cancel_restore(cancel);
	if (err)
		return fail(err);
	if (old)
		retire(r, old, URCU_TLB_REGION_DEFER);
	return 0;
}

int urcu_tlb_region_reserve(struct urcu_tlb_region *r, size_t len,
			    size_t *offset)
{
	size_t start, end;

	if (!r || !offset || !len)
		return fail(EINVAL);
	for (;;) {
		start = uatomic_read(&r->reserved);
		if (len > max_size() - start)
			return fail(EOVERFLOW);
		end = start + len;
		if (end > uatomic_read(&r->size)) {
			if (ensure_size(r, end))
				return -1;
			continue;
		}
		/* Full barrier: the size read above is ordered before the
		 * caller's later view (see the top of this file). */
		if (uatomic_cmpxchg(&r->reserved, start, end) == start)
			break;
	}
	*offset = start;
	return 0;
}

size_t urcu_tlb_region_reserved(struct urcu_tlb_region *r)
{
	size_t end;

	if (!r)
		return 0;
	end = uatomic_read(&r->reserved);

	/* The caller's later view covers end (see the top of this file). */
	cmm_smp_rmb();
	return end;
}

/* ---- durability --------------------------------------------------------- */

int urcu_tlb_region_sync(struct urcu_tlb_region *r)
{
	if (!r)
		return fail(EINVAL);
	if (tlb_in_read_section())
		urcu_tlb_misuse("urcu_tlb_region_sync",
			"called inside a read-side critical section (it waits for every reader, this one included)");
	/* Writers inside sections that began before the call finish... */
	urcu_tlb_synchronize_rcu();
	/* ... and their pages, dirtied through any mapping of the file,
	 * are written back with the file's size. */
	while (fdatasync(r->fd))
		if (errno != EINTR)
			return -1;
	return 0;
}

/* ---- control runs -------------------------------------------------------- */

void urcu_tlb_testing_region(int flags)
{
	int was = uatomic_xchg(&testing_flags, flags);

	if ((flags & URCU_TLB_TESTING_REGION_UNMAP_EARLY) &&
	    !(was & URCU_TLB_TESTING_REGION_UNMAP_EARLY))
		tlb_say("regions: old mappings unmapped without a grace period for a control run: readers may fault");
}
