"""One byte a charset cannot read costs that byte, not the words of the whole part (issue 20)."""

from __future__ import annotations

import pytest

from agent.intake import parse
from agent.policy.charsets import decode_text
from agent.policy.inspect import inspect

RUSSIAN = "Пациент Иванов, СНИЛС и SSN 512-44-8721, приём в понедельник"


def test_one_undecodable_byte_in_utf8_is_replaced_and_the_rest_read_as_utf8():
    data = RUSSIAN.encode() + b"\xff" + " конец".encode()
    text = decode_text(data, "utf-8")
    assert text.startswith(RUSSIAN) and text.endswith(" конец")
    assert "Ð" not in text  # no cp1252 mojibake of the Cyrillic letters


def test_latin1_bytes_in_a_part_labelled_utf8_are_still_read_as_the_letters_they_are():
    assert (
        decode_text("Müller, Jürgen ".encode("latin-1") + "und Straße".encode(), "utf-8") == "Müller, Jürgen und Straße"
    )


@pytest.mark.parametrize(
    "charset, text, codec",
    [
        ("gb2312", "病人 王喆 陈堃", "gbk"),  # GB2312 labels written with GBK characters (喆, 堃)
        ("ks_c_5601-1987", "환자 똠방각하", "cp949"),  # EUC-KR labels written with CP949 ones
        ("iso-8859-1", "“quoted” – Müller", "cp1252"),  # ISO-8859-1 labels with curly quotes
    ],
)
def test_narrow_labels_are_read_as_the_superset_mail_programs_write(charset, text, codec):
    assert decode_text(text.encode(codec), charset) == text


def test_utf8_in_a_part_labelled_us_ascii_is_read_as_utf8():
    assert decode_text("Envoyé par José".encode(), "us-ascii") == "Envoyé par José"


def test_a_label_that_names_no_working_codec_falls_back_to_utf8():
    assert decode_text(b"SSN 512-44-8721 \xe9", "undefined") == "SSN 512-44-8721 é"


def test_an_ssn_in_fullwidth_digits_after_a_stray_byte_is_found():
    # Read as cp1252, "５" is "ï¼•": the whole part's non-ASCII text, digits included, is lost.
    body = "Номер пациента ".encode() + b"\xc3\x28 " + "SSN ５１２-４４-８７２１".encode()
    raw = (
        b"From: a@valleyclinic.example\r\nTo: b@lakeside.example\r\nSubject: s\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body + b"\r\n"
    )
    assert any(f.type == "us_ssn" for f in inspect(parse(raw).message))
