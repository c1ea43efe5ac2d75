import struct
import zlib

import pytest
from PIL import Image

from riveg_agent.core.errors import InputError
from riveg_agent.io.images import MAX_PIXELS, WORK_SIDE, load_image
from riveg_agent.core.pipeline import MAX_TEXT_CHARS, make_post


def png_header_only(path, width, height):
    """A PNG whose header claims width x height (no real pixel data)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 10))
                     + chunk(b"IEND", b""))


def test_missing_empty_truncated_and_non_image(tmp_path, demo_image):
    with pytest.raises(InputError, match="record 'r1': image not found") as e:
        load_image(tmp_path / "nope.jpg", "r1")
    assert e.value.code == "image_missing"
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        load_image(empty, "r2")
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(demo_image.read_bytes()[:5000])
    with pytest.raises(InputError, match="truncated or corrupt"):
        load_image(cut, "r3")
    text = tmp_path / "notes.jpg"
    text.write_text("this is not an image")
    with pytest.raises(InputError, match="not an image"):
        load_image(text, "r4")
    with pytest.raises(InputError, match="not a file"):
        load_image(tmp_path, "r5")


def test_huge_image_is_refused_before_decoding(tmp_path):
    big = tmp_path / "big.png"
    png_header_only(big, 20000, 20000)
    with pytest.raises(InputError, match="record 'huge': image too large") as e:
        load_image(big, "huge")
    assert e.value.code == "image_too_large"
    assert 20000 * 20000 > MAX_PIXELS
    medium = tmp_path / "medium.png"  # over our limit, under PIL's bomb limit
    png_header_only(medium, 10000, 8000)
    with pytest.raises(InputError, match="10000x8000 = 80 MP"):
        load_image(medium, "medium")


def test_large_image_gets_a_working_copy(tmp_path):
    p = tmp_path / "wide.png"
    Image.new("RGB", (3000, 1000), (10, 20, 30)).save(p)
    img = load_image(p, "w")
    assert (img.width, img.height) == (3000, 1000)
    assert max(img.work.size) == WORK_SIDE
    assert img.scale == pytest.approx(3000 / WORK_SIDE)


def test_text_checks():
    with pytest.raises(InputError, match="text is empty"):
        make_post("t1", "   ", None)
    with pytest.raises(InputError, match="over the limit"):
        make_post("t2", "x" * (MAX_TEXT_CHARS + 1), None)
    with pytest.raises(InputError, match="must be a string"):
        make_post("t3", None, None)
    with pytest.raises(InputError, match="must be a path, bytes, a PIL image or a numpy array"):
        make_post("t4", "hi", 42)
    assert make_post("t5", "x" * MAX_TEXT_CHARS, None).text


def test_exif_orientation_is_applied(tmp_path):
    """A phone photo stored sideways (EXIF orientation 6) is processed as displayed."""
    from PIL import Image

    from riveg_agent.io.images import load_image
    stored = Image.new("RGB", (40, 20), (200, 10, 10))  # stored 40 wide, 20 high
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    path = tmp_path / "phone.jpg"
    stored.save(path, exif=exif)
    img = load_image(path)
    assert (img.width, img.height) == (20, 40)


def test_an_unwritable_overlay_is_a_one_line_error(tmp_path, demo_image):
    import pytest

    from riveg_agent.core.errors import RivegError
    from riveg_agent.core.schema import Provenance, Result
    from riveg_agent.io.overlay import draw_overlay
    from PIL import Image
    result = Result(id="p", text="x", provenance=Provenance(plugins={}, config_name="t", config_hash="0",
                                                            riveg_agent_version="0"))
    (tmp_path / "file").write_text("x")
    with pytest.raises(RivegError, match="cannot write the overlay"):
        draw_overlay(Image.open(demo_image), result, tmp_path / "file" / "o.png")
