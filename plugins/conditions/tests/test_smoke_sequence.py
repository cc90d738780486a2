"""The fixtures work: the C++ client's insert sequence and a resolution."""

from sciplane_conditions.testing import OPEN


def test_insert_and_resolve(base):
    base.ins("GT1", "Beam", "a.dat", (0, 0))
    base.ins("GT1", "Beam", "b.dat", (10, 0))
    assert base.res("GT1", 9, 999) == [["Beam", "a.dat", "ca", None, 0, 0, 10, 0]]
    assert base.res("GT1", 10, 0) == [["Beam", "b.dat", "cb", None, 10, 0, *OPEN]]
