# Compile-time types for scoring.py (Cython "augmenting .pxd"): the .py stays plain Python and
# this file only tells the compiler which attributes and locals are C values.
cimport cython

@cython.locals(scaled=double, whole=double, fraction=double)
cpdef double round3(double x)

cdef class Scorer:
    cdef public object layout, nothing
    cdef public Py_ssize_t _n_entries, _n_slots, _n_themes
    cdef public Py_ssize_t _actor_slot, _security_slot, _off_slot
    cdef public tuple _theme_ids, _gates, _any_gated, _repeat, _actor_shares
    cdef public object _theme_range
    cdef public dict _gated_theme, _evidence_cache, _bare_results
    cdef public double _theme_scale, _theme_threshold, _assign_raw, _near_assign
    cdef public double _secondary_share, _threshold, _theme_share, _off_penalty
    cdef public double _actor_scale, _security_scale
    cdef public tuple _field_slots, _field_weights, _terms, _rank, _singles
    cdef public tuple _entry_plans, _special_plans

    @cython.locals(
        n=Py_ssize_t, fi=Py_ssize_t, value=Py_ssize_t, count=Py_ssize_t, slot=Py_ssize_t,
        weight=double, factor=double, raw=list, hits=list, plan=tuple, later=list,
        specials=tuple, opened=tuple,
    )
    cpdef tuple raw(self, fields, Py_ssize_t li)

    @cython.locals(
        top=double, bonus=double, near=double, value=double, floor=double, score=double,
        scale=double, threshold=double, slot=Py_ssize_t, candidates=list, scored=list,
        shares=tuple, themes=list,
    )
    cpdef result(self, list raw, tuple opened, list hits)

    @cython.locals(actors=double, net=double, assign=double, slot=Py_ssize_t)
    cpdef double _relevance(self, list raw, double top, double bonus, list candidates)
