"""snippet_lines.py: the lines of a snippet file's front matter, for messages that point at them."""

from assembler.load.snippet_lines import front_lines, variant_start

TEXT = """---
id: duties.grid
section: duties
variables:
  villages: {type: int, label: 包村数}
  grid_cells:
    type: int
variants:
  - 第二种正文。
  - |
    第三种正文，
    写成一块。
---
正文。
"""


def test_top_keys_variable_names_and_variant_items_are_found_by_line():
    top, names, items = front_lines(TEXT)
    assert top == {"id": 2, "section": 3, "variables": 4, "variants": 8}
    assert names["villages"] == 5 and names["grid_cells"] == 6
    assert items == [9, 10]


def test_a_block_variant_starts_on_the_line_after_its_dash():
    lines = TEXT.split("\n")
    assert [variant_start(lines, item) for item in front_lines(TEXT)[2]] == [9, 11]
    assert variant_start(lines, 99) == 99
