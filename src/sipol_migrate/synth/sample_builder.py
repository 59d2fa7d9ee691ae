"""Rebuild the built-in region samples from the full Kemendagri lists (a maintainer's tool).

    python -m sipol_migrate.synth.sample_builder /path/to/shared/data/wilayah

The samples hold every province of each year (34 in 2017, 37 in 2022), every kab/kota of a few
provinces, and whole subtrees (a kab/kota or kecamatan with everything below it) chosen to
cover what the rules care about:

- DKI Jakarta whole, Kota Bandung, Kota Batu, Kota Jayapura: places kept as they are;
- Tarumajaya (Kab. Bekasi): its desa Setia Asih changed code but keeps its name (re-coded by name);
- Suranenggala (Kab. Cirebon) and Porong (Kab. Sidoarjo, the Lapindo mud flow): desa that were
  removed (retired);
- Kab. Merauke, Kab. Nabire, Kab. Mamberamo Tengah: re-coded from Papua (91) to the new provinces
  93, 94 and 95; Kobagma in Mamberamo Tengah became Kobakma (a kecamatan that is retired, because
  the name differs).

Subtrees are taken whole in both years, so that every translation decided on the samples is the
one decided on the full lists; `verify` checks that.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .geography import KECAMATAN, KELURAHAN, PROVINSI, SAMPLE_2017, SAMPLE_2022, RegionList, Translator

PROVINCES_WITH_KABKOTA_2017 = ("31", "32", "35", "91")
PROVINCES_WITH_KABKOTA_2022 = ("31", "32", "35", "91", "93", "94", "95")
SUBTREES_2017 = ("31", "32.73", "32.16.01", "32.09.39", "35.79", "35.15.04",
                 "91.71", "91.01", "91.04", "91.21")


def _subtree(regions: RegionList, root: str) -> set[str]:
    return {r.code for r in regions.regions if r.code == root or r.code.startswith(root + ".")}


def _select(regions: RegionList, provinces: tuple[str, ...], roots: list[str]) -> RegionList:
    wanted: set[str] = set()
    for region in regions.regions:
        if region.level == PROVINSI or (region.level == 2 and region.parent in provinces):
            wanted.add(region.code)
    for root in roots:
        wanted |= _subtree(regions, root)
    return RegionList([r for r in regions.regions if r.code in wanted])


def build(full_2017: RegionList, full_2022: RegionList) -> tuple[RegionList, RegionList]:
    full = Translator(full_2017, full_2022)
    roots_2022 = [full.translate(root) for root in SUBTREES_2017]
    if None in roots_2022:
        raise ValueError("a sample subtree root is retired in 2022; choose another")
    sample_2017 = _select(full_2017, PROVINCES_WITH_KABKOTA_2017, list(SUBTREES_2017))
    sample_2022 = _select(full_2022, PROVINCES_WITH_KABKOTA_2022, roots_2022)
    return sample_2017, sample_2022


def verify(sample_2017: RegionList, sample_2022: RegionList, full_2022: RegionList) -> list[str]:
    """Codes whose translation on the samples differs from the one on the full 2022 list."""
    on_sample, on_full = Translator(sample_2017, sample_2022), Translator(sample_2017, full_2022)
    return [r.code for r in sample_2017.regions if r.level in (KECAMATAN, KELURAHAN, 2)
            and on_sample.translate(r.code) != on_full.translate(r.code)]


def main(argv: list[str]) -> int:
    folder = Path(argv[1]) if len(argv) > 1 else Path("../shared/data/wilayah")
    full_2017 = RegionList.load(folder / "kemendagri_2017.csv")
    full_2022 = RegionList.load(folder / "kemendagri_2022.csv")
    sample_2017, sample_2022 = build(full_2017, full_2022)
    differences = verify(sample_2017, sample_2022, full_2022)
    if differences:
        print(f"translation differs on the sample for {differences[:10]}", file=sys.stderr)
        return 1
    sample_2017.write(SAMPLE_2017)
    sample_2022.write(SAMPLE_2022)
    print(f"{SAMPLE_2017.name}: {len(sample_2017.regions)} rows; "
          f"{SAMPLE_2022.name}: {len(sample_2022.regions)} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
