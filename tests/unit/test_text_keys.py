"""Searching and sorting unit names the way a Vietnamese reader expects (bot.core.text)."""

from __future__ import annotations

import unicodedata

import pytest

from bot.core.text import fold, name_key, vietnamese_order


@pytest.mark.parametrize(("typed", "name"), [
    ("cao loc", "Xã Cao Lộc"), ("na duong", "Thị trấn Na Dương"), ("dong dang", "Đồng Đăng"),
    ("ĐỒNG ĐĂNG", "Xã Đồng Đăng"), ("Cao Lộc", "Xã Cao Lộc"), ("cao loc", unicodedata.normalize("NFD", "Xã Cao Lộc")),
])
def test_a_search_without_accents_finds_the_name(typed: str, name: str) -> None:
    assert fold(typed) in name_key(name)


def test_a_different_word_is_not_found() -> None:
    assert fold("dong kinh") not in name_key("Xã Đồng Đăng")


def test_names_sort_by_letters_not_code_points() -> None:
    names = ["Xã Đồng Đăng", "Xã Bình Gia", "Xã Bắc Sơn", "Xã Dân Chủ", "Xã Chi Lăng", "Xã Ái Quốc", "Xã Yên Phúc"]
    assert sorted(names) != sorted(names, key=vietnamese_order)  # code-point order puts "Đ" and "Ái" last
    assert sorted(names, key=vietnamese_order) == [
        "Xã Ái Quốc", "Xã Bắc Sơn", "Xã Bình Gia", "Xã Chi Lăng", "Xã Dân Chủ", "Xã Đồng Đăng", "Xã Yên Phúc"]


def test_names_that_fold_alike_still_sort_the_same_every_time() -> None:
    names = ["Đa Thông", "Da Thông", "Đa Thông"]
    assert sorted(names, key=vietnamese_order) == sorted(reversed(names), key=vietnamese_order)
