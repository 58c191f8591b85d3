"""ResultStore: a damaged results.csv is repaired, reported with file and line,
and never makes a directory unusable; failed tasks are retried; no symlink is
followed."""
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isacsim.errors import InputError
from isacsim.simulation import ConfigMismatch, run
from isacsim.simulation.store import ResultStore

COLUMNS = ("task", "value", "count", "status", "reason")
TASKS = ("a", "b", "c")
ROWS_PER_TASK = 2


def rows_of(task, status="optimal"):
    return [{"task": task, "value": 0.25 * i, "count": i, "status": status, "reason": f"row {i} of {task}"} for i in range(ROWS_PER_TASK)]


def new_store(directory):
    return ResultStore(directory, {"kind": "test"}, COLUMNS)


def reopen(directory, tasks=TASKS):
    store = new_store(directory)
    return store, store.open(lambda task: ROWS_PER_TASK, tasks=tasks)


@pytest.fixture
def filled(tmp_path):
    """A directory holding tasks a, b, c: header on line 1, task b on lines 4 and 5."""
    store = new_store(tmp_path)
    assert store.open(lambda task: ROWS_PER_TASK) == set()
    for task in TASKS:
        store.append(rows_of(task))
    return tmp_path


def lines(directory):
    """The lines of results.csv, split at newlines only (as the store splits them)."""
    return (directory / "results.csv").read_bytes().decode("utf-8").split("\n")[:-1]


def replace_line(directory, number, text):
    content = lines(directory)
    content[number - 1] = text
    (directory / "results.csv").write_text("\n".join(content) + "\n")


def test_an_intact_file_is_finished_and_untouched(filled):
    before = (filled / "results.csv").read_bytes()
    store, finished = reopen(filled)
    assert finished == set(TASKS) and store.repairs == []
    assert (filled / "results.csv").read_bytes() == before


@pytest.mark.parametrize(
    "damage, what",
    [
        (lambda line: line.replace("0.25", "0.2x5"), "'value'"),  # a bad number
        (lambda line: line.replace(",1,", ",1.5,"), "'count'"),  # not an integer
        (lambda line: line[: len(line) // 2], "fields"),  # a half-written line
        (lambda line: line + ",extra", "fields"),
        (lambda line: line.replace("row", '"row'), "CSV"),  # an unterminated quote
    ],
)
def test_a_damaged_line_in_the_middle_drops_its_task_and_names_file_and_line(filled, damage, what):
    assert lines(filled)[4].startswith("b,0.25,1,")  # line 5: the second row of task b
    replace_line(filled, 5, damage(lines(filled)[4]))
    store, finished = reopen(filled)
    assert finished == {"a", "c"}
    assert len(store.repairs) == 1
    assert store.repairs[0].startswith(f"{filled / 'results.csv'} line 5: ") and what in store.repairs[0]
    assert [line.split(",")[0] for line in lines(filled)[1:]] == ["a", "a", "c", "c"]  # b's other row is gone too
    store.append(rows_of("b"))
    assert sorted(row["task"] for row in store.rows()) == ["a", "a", "b", "b", "c", "c"]


def test_bytes_that_are_not_text_are_a_dropped_line(filled):
    content = (filled / "results.csv").read_bytes().split(b"\n")
    content[3] = b"b,\xff\xfe,0,optimal,x"
    (filled / "results.csv").write_bytes(b"\n".join(content))
    store, finished = reopen(filled)
    assert finished == {"a", "c"}
    assert [r.split(":")[0] for r in store.repairs] == [f"{filled / 'results.csv'} line 4", f"{filled / 'results.csv'} line 5"]


@pytest.mark.parametrize("content", [b"", b"task,value,count,status,reason\n"])
def test_an_empty_or_header_only_file_means_nothing_finished(tmp_path, content):
    new_store(tmp_path).open(lambda task: ROWS_PER_TASK)
    (tmp_path / "results.csv").write_bytes(content)
    store, finished = reopen(tmp_path)
    assert finished == set() and store.repairs == []
    store.append(rows_of("a"))
    assert [row["task"] for row in store.rows()] == ["a", "a"]


def test_an_empty_results_file_is_recomputed_by_a_real_run(tmp_path):
    from test_simulation import small_sweep

    sweep = small_sweep(n_realizations=1)
    first = run(sweep, tmp_path / "out", workers=1)
    (tmp_path / "out" / "results.csv").write_bytes(b"")  # e.g. a full disk
    again = run(sweep, tmp_path / "out", workers=1)
    assert again.n_computed == again.n_tasks == first.n_tasks
    assert (tmp_path / "out" / "results.csv").read_text().count("\n") == 1 + len(sweep.schemes) * len(sweep.x_values)


def test_a_task_with_an_error_row_is_not_finished(filled):
    replace_line(filled, 5, lines(filled)[4].replace("optimal", "error"))
    store, finished = reopen(filled)
    assert finished == {"a", "c"} and store.repairs == []  # not damage: a retry
    assert "b" not in {line.split(",")[0] for line in lines(filled)[1:]}


def test_duplicated_and_missing_rows_are_recomputed(filled):
    content = lines(filled)
    content.append(content[1])  # a's first row twice
    del content[4]  # b loses a row
    (filled / "results.csv").write_text("\n".join(content) + "\n")
    store, finished = reopen(filled)
    assert finished == {"c"}
    assert sorted(store.repairs) == sorted([
        f"{filled / 'results.csv'} line 2: task 'a' has the wrong number of rows (found: 3, expected: 2); it is recomputed",
        f"{filled / 'results.csv'} line 4: task 'b' has the wrong number of rows (found: 1, expected: 2); it is recomputed",
    ])


def test_unknown_task_ids_are_dropped(filled):
    replace_line(filled, 2, lines(filled)[1].replace("a,", "zz,", 1))
    store, finished = reopen(filled)
    assert finished == {"b", "c"}
    assert "line 2: unknown task 'zz'" in store.repairs[0]


def test_a_task_id_the_job_cannot_parse_is_unknown(filled):
    def rows_per_task(task):
        if task not in TASKS:
            raise ValueError(task)
        return ROWS_PER_TASK

    with open(filled / "results.csv", "a") as handle:
        handle.write("r?,0.0,0,optimal,row 0 of r?\n")
    store = new_store(filled)
    assert store.open(rows_per_task) == set(TASKS)
    assert store.repairs == [f"{filled / 'results.csv'} line 8: unknown task 'r?'; the row was dropped"]


def test_a_torn_last_line_is_dropped_and_reported(filled):
    with open(filled / "results.csv", "a") as handle:
        handle.write("d,0.0,0,opt")
    store, finished = reopen(filled, tasks=TASKS + ("d",))
    assert finished == set(TASKS)
    assert store.repairs == [f"{filled / 'results.csv'} line 8: an incomplete last line (an interrupted write) was dropped"]
    assert len(lines(filled)) == 7


def test_a_wrong_header_is_moved_aside_and_the_directory_stays_usable(filled):
    replace_line(filled, 1, "tusk,value,count,status,reason")
    (filled / "results.csv.bad").write_text("an earlier one\n")
    store, finished = reopen(filled)
    assert finished == set() and len(store.repairs) == 1 and " line 1: " in store.repairs[0]
    assert (filled / "results.csv.bad").read_text() == "an earlier one\n"
    assert (filled / "results.csv.bad.1").read_text().startswith("tusk,")
    assert lines(filled) == [",".join(COLUMNS)]


def test_a_corrupt_run_record_is_refused_as_input(filled):
    (filled / "run.json").write_text('{"description": ')
    with pytest.raises(ConfigMismatch, match=r"run\.json: is not a run record"):
        reopen(filled)


def test_results_are_never_written_through_a_symlink(filled, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "precious.txt"
    outside.write_text("keep me\n")
    store, _ = reopen(filled)
    (filled / "results.csv").unlink()
    (filled / "results.csv").symlink_to(outside)  # planted during the run
    with pytest.raises(InputError, match=r"results\.csv: was replaced by a symbolic link"):
        store.append(rows_of("a"))
    with pytest.raises(InputError, match=r"results\.csv: is a symbolic link"):
        reopen(filled)
    assert outside.read_text() == "keep me\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.integers(0, 400),
    cut=st.integers(0, 40),
    insert=st.binary(max_size=12) | st.text(alphabet=string.printable, max_size=12).map(str.encode),
)
def test_any_damage_is_repaired_without_an_exception(tmp_path_factory, start, cut, insert):
    directory = tmp_path_factory.mktemp("fuzz")
    store = new_store(directory)
    store.open(lambda task: ROWS_PER_TASK)
    for task in TASKS:
        store.append(rows_of(task))
    original = lines(directory)
    data = (directory / "results.csv").read_bytes()
    (directory / "results.csv").write_bytes(data[:start] + insert + data[start + cut :])
    store, finished = reopen(directory)
    assert finished <= set(TASKS)
    kept = lines(directory)
    assert kept[0] == original[0]
    assert sorted(line.split(",")[0] for line in kept[1:]) == sorted(task for task in finished for _ in range(ROWS_PER_TASK))
    assert len(set(kept)) == len(kept)  # no row twice
    for repair in store.repairs:
        assert repair.startswith(f"{directory / 'results.csv'} line ")
