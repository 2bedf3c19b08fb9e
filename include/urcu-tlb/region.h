/*
 * urcu-tlb/region.h: growable shared mappings of a file that readers use
 * without locks.  Included by <urcu-tlb.h>; see docs/regions.md.
 *
 * A region is a file (or an anonymous memfd) mapped MAP_SHARED.  Threads
 * read and write it through a view, {base, size}, taken inside a read-side
 * critical section and valid until that section ends.  Growing the region
 * extends the file and, when the mapping cannot grow where it is, maps the
 * file again at a new address: the old mapping is unmapped only after a
 * grace period, when no thread can still hold a view of it.  Both mappings
 * show the same file pages, so writes made through an old view are not
 * lost.
 *
 * Errors return -1 (NULL from open) with errno set and leave the region as
 * it was.  The only aborts are calls that would wait for a grace period from
 * inside a read-side critical section (they would wait for themselves).
 */
#ifndef _URCU_TLB_REGION_H
#define _URCU_TLB_REGION_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* urcu_tlb_region_open(): create the file if it does not exist. */
#define URCU_TLB_REGION_CREATE	0x1

/*
 * urcu_tlb_region_grow_flags(): do not wait for the grace period; the old
 * mapping is unmapped later, through call_rcu.  Such a grow may be called
 * inside a read-side critical section.
 */
#define URCU_TLB_REGION_DEFER	0x2

struct urcu_tlb_region;

/* One mapping of the region: size bytes from base, all of them backed by
 * the file. */
struct urcu_tlb_region_view {
	void *base;
	size_t size;
};

/*
 * Open (or, with URCU_TLB_REGION_CREATE, create with mode, 0 meaning 0600)
 * the regular file path read-write and close-on-exec, extend it to at least
 * size bytes with its blocks allocated (posix_fallocate: a full disk is
 * ENOSPC now rather than SIGBUS later), and map all of it MAP_SHARED.  A
 * file larger than size is mapped whole; size 0 with an empty file gives
 * an empty view ({NULL, 0}) until the first grow.
 *
 * Returns NULL with errno: EINVAL (NULL or empty path, unknown flags, not a
 * regular file), EOVERFLOW (size or the file's size beyond what a region can
 * map), open(2)'s errors (ENOENT, EISDIR, EACCES, ...), EFBIG or ENOSPC
 * (the file cannot be extended), ENOMEM.  A file created by the call is
 * removed again when the call fails.
 */
struct urcu_tlb_region *urcu_tlb_region_open(const char *path, size_t size,
					     int flags, mode_t mode);

/*
 * The same over an anonymous memfd, extended with ftruncate: memory is
 * allocated when first touched, as with anonymous mappings.
 */
struct urcu_tlb_region *urcu_tlb_region_anon(size_t size);

/*
 * Inside a read-side critical section of a registered thread: the current
 * view.  base and size come from one published object, so they always
 * agree; the view stays valid (mapped, same file pages) until the section
 * ends, however the region grows meanwhile.  Bytes [0, size) may be read
 * and written.
 */
struct urcu_tlb_region_view urcu_tlb_region_view(struct urcu_tlb_region *r);

/*
 * Grow the region to new_size bytes: extend the file (blocks allocated),
 * grow the mapping in place where possible, otherwise map the file at a new
 * address; publish the new view.  When the mapping moved, wait for a grace
 * period and unmap the old one before returning.  Calling it inside a
 * read-side critical section aborts (it would wait for itself): use
 * URCU_TLB_REGION_DEFER there.
 *
 * Returns 0 (also when new_size is the current size), or -1 with errno and
 * the region unchanged, old view and data intact: EINVAL (new_size below
 * the current size: a region never shrinks under live mappings; r NULL;
 * unknown flags), EOVERFLOW (new_size beyond what a region can map), EFBIG
 * (RLIMIT_FSIZE or the file system's largest file; ignore SIGXFSZ to get
 * the error rather than the signal), ENOSPC, ENOMEM (no address space).
 */
int urcu_tlb_region_grow(struct urcu_tlb_region *r, size_t new_size);

/* The same with flags: 0 or URCU_TLB_REGION_DEFER. */
int urcu_tlb_region_grow_flags(struct urcu_tlb_region *r, size_t new_size,
			       int flags);

/*
 * Reserve len bytes for the caller alone: *offset is set to a range
 * [*offset, *offset + len) that no other reservation overlaps, following
 * the previous reservations (the first starts at 0).  The region grows as
 * needed (doubling, within RLIMIT_FSIZE; less when that is short of disk,
 * quota or address space: docs/regions.md), through a deferred grow, so
 * reserve never waits for a grace period and may be called inside a
 * read-side critical section; any view taken after it returns covers the
 * range.  Reserve and write in the same critical section and
 * urcu_tlb_region_sync() covers the write (docs/regions.md).
 *
 * Returns 0, or -1 with errno and nothing reserved: EINVAL (len 0, r or
 * offset NULL), EOVERFLOW, and EFBIG, ENOSPC, EDQUOT, ENOMEM as for grow
 * when even growing to the end of the range fails.
 */
int urcu_tlb_region_reserve(struct urcu_tlb_region *r, size_t len,
			    size_t *offset);

/*
 * The end of the reservations made so far (0 after open).  A view taken
 * after this call covers it.  To append after data already in a reopened
 * file, reserve its length first.
 */
size_t urcu_tlb_region_reserved(struct urcu_tlb_region *r);

/*
 * Make durable every write made through any view of r inside a read-side
 * critical section that began before the call (and every write that
 * happened before the call): a grace period lets those sections finish,
 * then fdatasync(2) writes the file's dirty pages, whichever mapping
 * dirtied them, and its size.  New writers are not stopped.  Aborts inside
 * a read-side critical section.  Returns 0, or -1 with fdatasync's errno
 * (EIO, ENOSPC, ...).
 */
int urcu_tlb_region_sync(struct urcu_tlb_region *r);

/*
 * Wait for readers and for deferred unmaps, unmap every mapping, close the
 * file (which keeps what was written: close does not sync).  No other call
 * on r may run or follow.  Aborts inside a read-side critical section.
 * Returns 0, or -1 with close(2)'s errno; r is freed either way.
 */
int urcu_tlb_region_close(struct urcu_tlb_region *r);

/*
 * Not for direct use: every region starts with this, which lets the
 * inline urcu_tlb_region_view() read the published view (part of the ABI).
 */
struct _urcu_tlb_region_head {
	struct urcu_tlb_region_view *view;	/* RCU-published, immutable */
};

#ifdef _LGPL_SOURCE
static inline struct urcu_tlb_region_view
_urcu_tlb_region_view(struct urcu_tlb_region *r)
{
	_urcu_tlb_debug_check(_urcu_tlb_read_ongoing(), "urcu_tlb_region_view",
		"called outside a read-side critical section (the view could be unmapped at any time)");
	return *rcu_dereference(((struct _urcu_tlb_region_head *) r)->view);
}
/* Function-like, so that `struct urcu_tlb_region_view` is left alone. */
#define urcu_tlb_region_view(r)	_urcu_tlb_region_view(r)
#endif

#ifdef __cplusplus
}
#endif

#endif /* _URCU_TLB_REGION_H */
