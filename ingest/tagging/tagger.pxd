# Compile-time types for tagger.py (Cython "augmenting .pxd"): the .py stays plain Python and
# this file only tells the compiler which attributes and locals are C values. Typing the
# matcher and scorer makes the hot calls direct C calls; it is also why `native.select` runs
# all modules compiled or none (a compiled Tagger needs the compiled Matcher and Scorer).
cimport cython

from ingest.tagging.matcher cimport Matcher
from ingest.tagging.scoring cimport Scorer

cdef class Tagger:
    cdef public object taxonomy, _nothing, _hinted
    cdef public tuple _slot_names, _signal_slots
    cdef public Matcher _matcher
    cdef public Scorer _scorer

    @cython.locals(li=Py_ssize_t, fields=list, texts=tuple, counts=dict)
    cpdef tag(self, title, summary=*, body=*, lang=*)
