def test_x(db):
    pass
