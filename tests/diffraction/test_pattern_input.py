"""Pattern files: sorted x, repeated x refused, finite values, counts >= 0; errors give lines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sselab.cli import app
from sselab.diffraction import PatternDataWarning, PatternFileError, read_pattern
from sselab.structures import antifluorite


def _rows(n: int = 20) -> list[str]:
    return [f"{10 + 0.5 * k:.2f} {100 + k}" for k in range(n)]


def test_unsorted_x_is_sorted_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "reversed.xy"
    path.write_text("\n".join(reversed(_rows())) + "\n")
    with pytest.warns(PatternDataWarning, match=r"reversed\.xy: x decreases at line 2"):
        pattern = read_pattern(path)
    assert np.all(np.diff(pattern.x) > 0) and pattern.y[0] == 100
    assert pattern.source == str(path)


def test_repeated_x_is_refused_with_both_lines(tmp_path: Path) -> None:
    rows = _rows()
    rows[7] = rows[6].split()[0] + " 55"
    path = tmp_path / "twice.xy"
    path.write_text("# header\n" + "\n".join(rows) + "\n")
    with pytest.raises(PatternFileError, match=r"twice\.xy, lines 8 and 9: x = 13 appears twice"):
        read_pattern(path)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e999"])
def test_non_finite_values_name_the_line(tmp_path: Path, value: str) -> None:
    rows = _rows()
    rows[4] = f"12.00 {value}"
    path = tmp_path / "bad.xy"
    path.write_text("\n".join(rows))
    with pytest.raises(PatternFileError, match=r"bad\.xy, line 5: NaN or infinite"):
        read_pattern(path)


def test_negative_counts_are_refused_unless_background_subtracted(tmp_path: Path) -> None:
    rows = _rows()
    rows[3] = "11.50 -4"
    path = tmp_path / "sub.csv"
    path.write_text("two_theta,counts\n" + "\n".join(r.replace(" ", ",") for r in rows))
    with pytest.raises(PatternFileError, match=r"sub\.csv, line 5: negative counts y = -4"):
        read_pattern(path)
    with pytest.warns(PatternDataWarning, match="1 points with negative counts"):
        pattern = read_pattern(path, allow_negative=True)
    assert pattern.sigma[3] == pytest.approx(2.0)


def test_encodings_short_files_and_ragged_rows(tmp_path: Path) -> None:
    text = "# 2theta (°) I (µ counts)\n" + "\n".join(_rows()) + "\n"
    for encoding in ("utf-8", "utf-16", "latin-1"):
        path = tmp_path / f"{encoding}.xy"
        path.write_bytes(text.encode(encoding))
        assert read_pattern(path).x.size == 20
    for name, body, message in (
        ("empty.xy", "", r"empty\.xy: 0 data points; a pattern needs at least 10"),
        ("header.csv", "x,y,sigma\n", r"header\.csv: 0 data points"),
        ("ragged.xye", "\n".join(f"{r} 3" for r in _rows())[:-2], r"ragged\.xye, line 20: 2 col"),
        ("text.xy", "\n".join(_rows()) + "\nend of scan\n", r"text\.xy, line 21: 'end of scan'"),
    ):
        path = tmp_path / name
        path.write_text(body)
        with pytest.raises(PatternFileError, match=message):
            read_pattern(path)


def test_refine_cli_names_the_file_and_line(tmp_path: Path) -> None:
    rows = _rows(80)
    rows[10] = "15.00 nan"
    path = tmp_path / "broken.xy"
    path.write_text("\n".join(rows))
    model = tmp_path / "model.cif"
    antifluorite(0.0).to(filename=str(model))
    result = CliRunner().invoke(app, ["refine", str(path), "--model", str(model)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"{path}, line 11: NaN or infinite value" in result.output
