"""tracker: resource tracking and freshness monitoring for a living document.

Layers (imports point inward only): ``types``/``errors``/``config`` → pure logic
(``document``, ``urls``, ``sources``, ``links``, ``candidates``, renderers) →
``fetch`` (the only HTTP module) and ``db`` (the only SQLAlchemy package) →
``services`` (one function per use case) → ``cli`` and ``scheduler`` (thin shells).
"""

__version__ = "0.1.0"
