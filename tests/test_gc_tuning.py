"""Long-lived objects stay out of full collections, and a periodic sweep still frees what
died after it was frozen."""

from __future__ import annotations

import gc
import weakref

from callcenter.gc_tuning import long_lived_objects_frozen


class Node:
    """An object in a reference cycle: only the garbage collector frees it."""

    def __init__(self) -> None:
        self.me = self


def test_what_survives_a_full_collection_is_frozen_and_the_sweep_frees_it_once_dead() -> None:
    now = [0.0]
    thresholds = gc.get_threshold()
    with long_lived_objects_frozen(sweep_s=600.0, clock=lambda: now[0]) as refreezer:
        node = Node()
        frozen_before = gc.get_freeze_count()
        gc.collect()  # a full collection: the node survives it and is frozen after it
        assert gc.get_freeze_count() > frozen_before
        assert not any(o is node for o in gc.get_objects())  # frozen objects are not walked
        alive = weakref.ref(node)
        del node

        gc.collect()  # dead, but frozen: a plain full collection does not look at it
        assert alive() is not None
        assert refreezer.sweeps == 0

        now[0] = 600.0
        gc.collect()  # the sweep: everything is walked once, the dead node freed
        assert alive() is None
        assert refreezer.sweeps == 1
        assert gc.get_freeze_count() > 0  # and the survivors frozen again
        gc.collect()
        assert refreezer.sweeps == 1  # the next sweep is due in another 600 s
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == thresholds
    assert refreezer not in gc.callbacks


def test_young_garbage_is_collected_as_usual() -> None:
    with long_lived_objects_frozen():
        node = Node()
        alive = weakref.ref(node)
        del node
        gc.collect(0)
        assert alive() is None
