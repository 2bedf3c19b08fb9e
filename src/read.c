/*
 * read.c: the read side and liburcu's pointer helpers as exported
 * functions, for programs built without _LGPL_SOURCE.
 */
#include "internal.h"

#undef urcu_tlb_read_lock
#undef urcu_tlb_read_unlock
#undef urcu_tlb_read_ongoing

void urcu_tlb_read_lock(void)
{
	_urcu_tlb_read_lock();
}

void urcu_tlb_read_unlock(void)
{
	_urcu_tlb_read_unlock();
}

int urcu_tlb_read_ongoing(void)
{
	return _urcu_tlb_read_ongoing();
}

/*
 * <urcu/pointer.h> without _LGPL_SOURCE calls these, as every liburcu
 * flavor library exports them.  They wrap liburcu's own inline versions.
 */
void *rcu_dereference_sym(void *p);
void *rcu_set_pointer_sym(void **p, void *v);
void *rcu_xchg_pointer_sym(void **p, void *v);
void *rcu_cmpxchg_pointer_sym(void **p, void *old, void *_new);

void *rcu_dereference_sym(void *p)
{
	return _rcu_dereference(p);
}

void *rcu_set_pointer_sym(void **p, void *v)
{
	_rcu_set_pointer(p, v);
	return v;
}

void *rcu_xchg_pointer_sym(void **p, void *v)
{
	return _rcu_xchg_pointer(p, v);
}

void *rcu_cmpxchg_pointer_sym(void **p, void *old, void *_new)
{
	return _rcu_cmpxchg_pointer(p, old, _new);
}
