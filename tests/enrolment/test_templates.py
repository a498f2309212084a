"""The enrolment templates are what xlsx_templates/enrolment.py builds, byte for byte."""
from xlsx_templates import enrolment


def test_rebuild_is_byte_identical(tmp_path):
    for book in enrolment.BOOKS:
        built = enrolment.build(book, tmp_path)
        assert built.read_bytes() == enrolment.template_path(book).read_bytes(), book
