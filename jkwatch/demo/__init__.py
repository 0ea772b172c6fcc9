"""The offline demo: a synthetic corpus, a local feed server, and a runner that ingests it.

Everything here is sample data, labelled as synthetic wherever it appears (outlet names,
feed titles, the database's ``meta`` table), and goes into a demo database of its own.
"""
