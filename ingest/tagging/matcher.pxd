# Compile-time types for matcher.py (Cython "augmenting .pxd"): the .py stays plain Python and
# this file only tells the compiler which attributes and locals are C values.
cimport cython

cdef class Matcher:
    cdef public Py_ssize_t off_slot
    cdef public tuple entries, slot_of, special_entries
    cdef public tuple _ordered, _key_ids, _key_masks, _spans, _positional, _key_rows
    cdef public tuple _iters, _specials, _masked, _exact_only, _partners

    @cython.locals(out=list, counts=dict, exact_only=frozenset)
    cpdef list count_values(self, Py_ssize_t li, texts)

    @cython.locals(n=Py_ssize_t, value=Py_ssize_t, hits=Py_ssize_t, specials=tuple, partners=dict)
    cpdef dict _expand(self, Py_ssize_t li, str text, dict counts)

    @cython.locals(
        rows=tuple, located=list, masks=list, counts=dict, over=list, start=Py_ssize_t,
        stop=Py_ssize_t, end=Py_ssize_t, back=Py_ssize_t, front=Py_ssize_t, a=Py_ssize_t,
        b=Py_ssize_t, off_slot=Py_ssize_t, slot=Py_ssize_t, slot_of=tuple,
    )
    cpdef dict _count_masked(self, Py_ssize_t li, str text)
