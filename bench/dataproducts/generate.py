"""Synthetic inputs for the data-products benchmark, from fixed seeds.

``write_photometry``: a TOM light curve ``time,filter,magnitude,error`` with distinct, increasing times and
five filters.  ``load_catalogue``: a Goodman file catalogue written straight into ``dp_product`` with COPY,
with its proposals (``dp_group``) and memberships (``dp_membership``): about 200 proposals over 16
semesters (2017A-2024B, busy and quiet ones), reduction levels weighted to raw files, cameras, readout
modes, gratings, slits, obstypes and targets drawn from the sets of ``sciplane_dataproducts.samples``, and
every column an upload would fill (promoted header values, their card text and lamp states, lineage names,
unique blob keys and tokens, sizes, SHA-256) filled alike, so rows are as wide as real ones.  Rows are written
in upload order (semester by semester, by creation time), so the table's physical layout is a real one's.
Not written: headers (``dp_product_header``) and lineage ids, which a list never reads; and no blobs.
"""

from __future__ import annotations

import datetime as dt
import random
from bisect import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson

from sciplane_dataproducts.fits.goodman import saturation
from sciplane_dataproducts.samples import OBSTYPES, READOUT_MODES, SETUPS, SLITS, TARGETS

SEED = 20260105
FILTERS = ("g", "r", "i", "V", "B")

# ---------------------------------------------------------------------------------------------- photometry


def write_photometry(path: Path, rows: int) -> Path:
    """``rows`` data rows of a TOM photometry CSV; times are MJDs 0.0005-0.002 days apart, so all distinct
    (and distinct at the microsecond, which is what de-duplication compares)."""
    rng = np.random.default_rng(SEED)
    times = (55000.0 + np.cumsum(rng.uniform(0.0005, 0.002, rows))).tolist()
    filters = rng.integers(0, len(FILTERS), rows).tolist()
    magnitudes = rng.normal(17.0, 1.2, rows).round(3).tolist()
    errors = rng.uniform(0.001, 0.2, rows).round(3).tolist()
    with path.open("w") as out:
        out.write("time,filter,magnitude,error\n")
        for start in range(0, rows, 100_000):
            stop = min(start + 100_000, rows)
            out.write("".join(f"{times[i]:.6f},{FILTERS[filters[i]]},{magnitudes[i]},{errors[i]}\n"
                              for i in range(start, stop)))
    return path


# ----------------------------------------------------------------------------------------- file catalogue

FIRST_YEAR, YEARS = 2017, 8
PROPOSALS = 200
FAKE_USERS = 600  # PIs and collaborators other than the benchmark's users (ids from FAKE_USER_BASE)
FAKE_USER_BASE = 1_000_000
LEVEL_WEIGHTS = (0.50, 0.12, 0.18, 0.10, 0.10)  # reduction levels 0-4: raw files dominate an archive
CAMERA_WEIGHTS = {"Red": 0.65, "Blue": 0.35}
SETUP_WEIGHTS = (0.30, 0.15, 0.25, 0.15, 0.15)  # SETUPS: 400_SYZY (M1, M2) 45 %, 930, 1200, 600
SLIT_WEIGHTS = (0.45, 0.20, 0.20, 0.15)  # SLITS: 1.0_LONG_SLIT 45 %
IMAGING = 0.08  # share of imaging files (no grating, no slit, a filter)
IMAGING_FILTERS = ("g-SDSS", "r-SDSS", "i-SDSS", "z-SDSS", "u-SDSS")
EXPTIMES = ("1.0", "30.0", "300.0", "600.0", "900.0", "1200.0", "1800.0")
RAW_BYTES = 16_813_440  # a 2x2-binned Goodman frame
PRODUCT_COLUMNS = (
    "data_product_type", "file_name", "directory_name", "blob_key", "token", "size", "sha256", "mimetype",
    "is_fits", "instrument", "obstype", "object", "filter", "filter_2", "grating", "slit", "roi", "wavmode",
    "camera", "binning", "technique", "obsra", "obsdec", "cam_targ", "grt_targ", "gain", "rdnoise", "airmass",
    "exptime", "seeing", "card_text", "lamps", "proposal_id", "proposal_bound", "observation_id",
    "configuration_id", "block_id", "image_id", "date", "date_time", "reduction_level", "normalized",
    "is_usable", "saturation_value", "original_file_name", "parent_file_name", "created_by", "created",
    "modified")
LAMP_KEYS = ("lamp_hg_ar", "lamp_ne", "lamp_ar", "lamp_fe_he_ar", "lamp_cu_he_ar", "lamp_quartz", "lamp_bulb",
             "lamp_dome")


@dataclass(frozen=True)
class Proposal:
    soar_id: str
    semester: str
    start: dt.datetime  # the semester's first day
    weight: float
    targets: tuple[tuple[str, str, str], ...]  # (name, RA, Dec): a target keeps its position
    pi: int  # a fake user id


def proposals(count: int = PROPOSALS) -> list[Proposal]:
    """``count`` proposals spread over the 16 semesters, with log-normal sizes (a few busy, many small)."""
    rng = random.Random(SEED)
    semesters = [(year, half) for year in range(FIRST_YEAR, FIRST_YEAR + YEARS) for half in "AB"]
    made, numbers = [], {}
    for index in range(count):
        year, half = semesters[index * len(semesters) // count]
        numbers[(year, half)] = numbers.get((year, half), 0) + 1
        names = rng.sample(TARGETS, 3) + [f"TGT{index:03d}-{n}" for n in range(3)]
        targets = tuple((name, f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.uniform(0, 60):06.3f}",
                         f"-{rng.randrange(90):02d}:{rng.randrange(60):02d}:{rng.uniform(0, 60):06.3f}")
                        for name in names)
        made.append(Proposal(f"SOAR{year}{half}-{numbers[(year, half)]:03d}", f"{year}{half}",
                             dt.datetime(year, 2 if half == "A" else 8, 1), rng.lognormvariate(0.0, 0.8), targets,
                             FAKE_USER_BASE + index % FAKE_USERS))
    return made


def member_proposal(made: list[Proposal], semester: str = f"{FIRST_YEAR + YEARS // 2 - 1}B") -> Proposal:
    """The benchmark user's proposal: the busiest of a middle semester (2020B), neither among the newest files
    (which a newest-first scan meets at once) nor the oldest."""
    return max((p for p in made if p.semester == semester), key=lambda p: p.weight)


def _cumulative(weights) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return [value / total for value in out]


EPOCH = dt.datetime(FIRST_YEAR, 1, 1)
DAY = 86400


class _Catalogue:
    """Draws one realistic file record at a time, as a COPY text line.

    Written for speed (a million lines in well under a minute): one ``random()`` per choice against
    cumulative weights, times as integer seconds since ``EPOCH`` with each day's strings formatted once,
    and the JSON columns from templates."""

    def __init__(self, made: list[Proposal], uploader: int):
        self.rng = random.Random(SEED + 1)
        self.proposals = made
        self.proposal_weights = _cumulative(p.weight for p in made)
        self.level_weights = _cumulative(LEVEL_WEIGHTS)
        self.setup_weights = _cumulative(SETUP_WEIGHTS)
        self.slit_weights = _cumulative(SLIT_WEIGHTS)
        self.uploader = uploader
        self.count = 0
        self.modes = {camera: [(gain, noise, saturation(camera, float(gain), float(noise)))
                               for gain, noise in modes] for camera, modes in READOUT_MODES.items()}
        self.days: dict[int, tuple[str, str, str]] = {}  # day number -> (YYYY-MM-DD, DD-MM-YYYY, YYYYMMDD)
        self.lamps = {(quartz, arc): orjson.dumps({**dict.fromkeys(LAMP_KEYS, False), "lamp_quartz": quartz,
                                                   "lamp_hg_ar": arc, "lamp_quartz_percent": 80.0 if quartz else 0.0,
                                                   "lamp_dome_percent": 0.0}).decode()
                      for quartz in (False, True) for arc in (False, True)}

    def _day(self, number: int) -> tuple[str, str, str]:
        strings = self.days.get(number)
        if strings is None:
            day = EPOCH + dt.timedelta(days=number)
            strings = self.days[number] = (f"{day:%Y-%m-%d}", f"{day:%d-%m-%Y}", f"{day:%Y%m%d}")
        return strings

    def _stamp(self, seconds: int, millis: int) -> str:
        day, rest = divmod(seconds, DAY)
        return (f"{self._day(day)[0]}T{rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}"
                f".{millis:03d}000")

    def lines(self, files: int) -> Iterator[str]:
        """``files`` lines in upload order: semester after semester, each semester's files sorted by creation
        time.  A catalogue's rows are appended as files arrive, so a proposal's files lie together on disk
        and ids grow with ``created``, as in a real one."""
        semesters: dict[dt.datetime, list[Proposal]] = {}
        for _ in range(files):
            proposal = self.proposals[bisect(self.proposal_weights, self.rng.random())]
            semesters.setdefault(proposal.start, []).append(proposal)
        for start in sorted(semesters):
            records = sorted(self.record(proposal) for proposal in semesters.pop(start))
            yield from (line for _, line in records)

    def record(self, proposal: Proposal) -> tuple[str, str]:
        """One file of ``proposal``: its creation time (ISO text, which sorts) and its COPY line."""
        rng = self.rng
        random_ = rng.random
        self.count += 1
        level = bisect(self.level_weights, random_())
        camera = "Red" if random_() < CAMERA_WEIGHTS["Red"] else "Blue"
        modes = self.modes[camera]
        gain, noise, saturation_value = modes[0] if random_() < 0.7 else modes[int(random_() * len(modes))]
        # Exposures start between 23:00 and 09:00 UTC on one of the semester's 181 nights.
        observed = ((proposal.start - EPOCH).days + int(random_() * 181)) * DAY + 23 * 3600 + int(random_() * 36000)
        millis = int(random_() * 1000)
        date, dmy, _ = self._day(observed // DAY)
        night = self._day((observed - 12 * 3600) // DAY)[2]  # SOAR names a night by its evening
        target, ra, dec = proposal.targets[int(random_() * len(proposal.targets))]
        if random_() < IMAGING:
            grating, wavmode, cam_targ, grt_targ = "<NO GRATING>", "IMAGING", "0.0", "0.0"
            slit, technique, roi = "<NO MASK>", "Imaging", "Imaging 2x2"
            filter_1 = IMAGING_FILTERS[int(random_() * len(IMAGING_FILTERS))]
        else:
            grating, wavmode, cam_targ, grt_targ = SETUPS[bisect(self.setup_weights, random_())]
            slit, technique, roi = SLITS[bisect(self.slit_weights, random_())], "Spectroscopy", "Spectroscopic 2x2"
            filter_1 = "NO_FILTER"
        obstype = "FLAT" if level == 1 else OBSTYPES[int(random_() * len(OBSTYPES))] if level == 0 else "SPECTRUM"
        if technique == "Imaging" and obstype in ("SPECTRUM", "ARC"):
            obstype = "EXPOSE"
        exptime = "0.0" if obstype == "BIAS" else EXPTIMES[int(random_() * len(EXPTIMES))]
        airmass = f"{1.0 + random_() * 1.2:.2f}"
        quartz = obstype == "FLAT"
        raw_name = f"{1 + int(random_() * 999):04d}_{target}_{dmy}.fits"
        if level == 0:
            file_name, parent, original, directory = raw_name, raw_name, raw_name, f"{night}/RAW"
        elif level == 1:
            file_name = f"master_flat_{camera}_{wavmode}_{night}.fits"
            parent, original, directory = "combined", file_name, f"{night}/RED"
        else:
            prefix = ("cfzst_", "ecfzst_", "wecfzst_")[level - 2]
            file_name, parent, original = prefix + raw_name, prefix[1:] + raw_name if level > 2 else raw_name, raw_name
            directory = f"{night}/RED"
        token = f"{self.count:08x}{rng.getrandbits(96):024x}"  # unique by construction, random-looking
        card_text = (f'{{"cam_targ":"{cam_targ}","grt_targ":"{grt_targ}","gain":"{gain}","rdnoise":"{noise}",'
                     f'"airmass":"{airmass}","exptime":"{exptime}","seeing":"-1.00",'
                     f'"lamp_quartz_percent":"{"80.0" if quartz else "0.0"}","lamp_dome_percent":"0.0"}}')
        # Raw files arrive minutes after the exposure, reductions hours to days later.
        created = observed + (60 + int(random_() * 3540) if level == 0 else 3600 + int(random_() * 4 * DAY))
        created_text = self._stamp(created, millis)
        size = RAW_BYTES if level < 2 else RAW_BYTES // 8 + int(random_() * RAW_BYTES * 3 / 8)
        values = (
            "fits_file", file_name, directory, f"none/none/{token}/{file_name}", token, str(size),
            f"{rng.getrandbits(256):064x}", "application/fits", "t", "goodman", obstype, target, filter_1,
            "NO_FILTER", grating, slit, roi, wavmode, camera, "2 2", technique, ra, dec, cam_targ, grt_targ, gain,
            noise, airmass, exptime, "-1.00", card_text, self.lamps[(quartz, obstype == "ARC")], proposal.soar_id,
            "t", str(1_000_000 + int(random_() * 9_000_000)), str(100_000_000 + int(random_() * 900_000_000)),
            str(100_000_000 + int(random_() * 900_000_000)), str(10_000 + int(random_() * 990_000)), date,
            self._stamp(observed, millis), str(level), "t" if level == 1 and random_() < 0.5 else "f",
            "f" if random_() < 0.03 else "t", str(saturation_value), original, parent, str(self.uploader),
            created_text, created_text)
        # No value holds a tab, newline or backslash, so the text needs no COPY escaping.
        return created_text, "\t".join(values) + "\n"


class _LineReader:
    """COPY input produced on demand (psycopg2 calls ``read``), so a million rows are never held at once."""

    def __init__(self, lines: Iterator[str], batch: int = 2000):
        self._lines = lines
        self._batch = batch
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        while len(self._buffer) < max(size, 1):
            block = "".join(line for _, line in zip(range(self._batch), self._lines, strict=False))
            if not block:
                break
            self._buffer += block.encode()
        if size < 0:
            size = len(self._buffer)
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


def load_catalogue(connection, files: int, *, uploader: int, member: int) -> dict:
    """``files`` Goodman file records plus their proposals and memberships, loaded into the benchmark's
    database through ``connection`` (psycopg2, autocommit).  ``uploader`` (a staff user) is the records'
    ``created_by``; ``member`` becomes a collaborator of exactly one proposal.  The table's secondary indexes
    are dropped during the COPY and rebuilt from their own definitions afterwards (a bulk load's usual
    order), then everything is vacuumed and analysed, as a settled catalogue would be.  Returns what the
    report needs: the member's proposal and its file count."""
    made = proposals()
    mine = member_proposal(made)
    rng = random.Random(SEED + 2)
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '256MB'")
        now = dt.datetime(FIRST_YEAR + YEARS, 1, 1)
        cursor.executemany(
            "INSERT INTO dp_group (kind, name, name_key, semester, title, abstract, pi_id, created, modified) "
            "VALUES ('proposal', %s, %s, %s, %s, '', %s, %s, %s)",
            [(p.soar_id, p.soar_id.casefold(), p.semester, f"Programme {p.soar_id}", p.pi, p.start, now)
             for p in made])
        cursor.execute("SELECT name, id FROM dp_group WHERE kind = 'proposal'")
        ids = dict(cursor.fetchall())
        memberships = []
        for p in made:
            memberships.append((ids[p.soar_id], p.pi, "pi", p.start))
            others = {FAKE_USER_BASE + rng.randrange(FAKE_USERS) for _ in range(rng.randrange(0, 6))} - {p.pi}
            memberships += [(ids[p.soar_id], user, "collaborator", p.start) for user in sorted(others)]
        memberships.append((ids[mine.soar_id], member, "collaborator", mine.start))
        cursor.executemany("INSERT INTO dp_membership (group_id, user_id, role, created) VALUES (%s, %s, %s, %s)",
                           memberships)
        cursor.execute("""SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'dp_product'
                          AND indexname NOT IN (SELECT conname FROM pg_constraint
                                                WHERE conrelid = 'dp_product'::regclass)""")
        secondary = cursor.fetchall()
        for name, _ in secondary:
            cursor.execute(f'DROP INDEX "{name}"')
        catalogue = _Catalogue(made, uploader)
        cursor.copy_expert(f"COPY dp_product ({', '.join(PRODUCT_COLUMNS)}) FROM STDIN",
                           _LineReader(catalogue.lines(files)), size=1 << 20)
        for _, definition in secondary:
            cursor.execute(definition)
        for table in ("dp_product", "dp_group", "dp_membership"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        cursor.execute("SELECT count(*) FROM dp_product WHERE proposal_id = %s", (mine.soar_id,))
        own_files = cursor.fetchone()[0]
    return {"proposal": mine.soar_id, "proposal_files": own_files, "proposals": len(made),
            "memberships": len(memberships), "indexes_rebuilt": len(secondary)}

