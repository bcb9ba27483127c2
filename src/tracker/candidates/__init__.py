"""Candidate scoring (pure): topic profiles, TF-IDF scoring with reasons, weeks, evaluation.

Owns: everything that decides *which chapter a new item fits* and how well,
given plain inputs (``corpus``, ``profiles``, ``scoring``, ``text``), the
arxiv-sanity-style ``baseline`` and the leave-one-paragraph-out ``evaluate``;
``weeks`` (ISO week arithmetic) and ``render`` (queue renderers). Does not touch
the database, the network or the terminal: services hand it data and ``now``.
"""
