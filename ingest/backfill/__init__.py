"""Backfill: past coverage from news-search services, through the live ingest pipeline.

The DESIGN's "sources behind one 'give me entries for a window' shape": each source builds the
request URL of a query over a window of UTC days and reads a response into ``Found`` entries
(``source.py``). The pure parts are the default queries (``queries.py``), the window plan and
its splitting (``windows.py``) and the two readers (``google_news.py``, ``gdelt.py``); the side
effects are polite HTTP (``polite.py``) and the orchestrator that stores each window with its
progress row in one transaction (``runner.py``).
"""
