"""Discovery (issue 3), end to end through the real `benchit` command: names, counts, hashes,
parameters, locations, invocations, max depth, hash filters, analyze-only, misbehaving scripts,
transformers and Keras models. Fast in-process checks of the recorder are in test_analysis_unit.py; the fast
tier runs the tutorial scripts' exact fields here (the discovery smoke)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers import EXAMPLES, QUICK, require


DATA = Path(__file__).resolve().parent / "data" / "analysis"


def _line_of(script: Path, text: str) -> int:
    for number, line in enumerate(script.read_text().splitlines(), 1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {script}")


def _blocks(out: str) -> dict[str, list[dict[str, str]]]:
    """name -> list of {field: value} for every model block of the printed tree (one per invocation)."""
    blocks: dict[str, list[dict[str, str]]] = {}
    current = None
    for line in out.splitlines():
        title = re.match(r"^(\t+)(\S.*) \(executed (\d+)x(?: - ([0-9.]+)s)?\)$", line)
        if title:
            current = {"indent": str(len(title.group(1))), "executed": title.group(3), "seconds": title.group(4)}
            blocks.setdefault(title.group(2), []).append(current)
            continue
        field = re.match(r"^\t+(Model Type|Class|Location|Parameters|Input Shape|Hash|Invocation|Status):\t+(.*)$",
                         line)
        if field and current is not None:
            current[field.group(1)] = field.group(2)
        elif not line.strip():
            current = None
    return blocks


def _one(blocks, name) -> dict[str, str]:
    assert name in blocks, f"{name} not in {sorted(blocks)}"
    assert len(blocks[name]) == 1, blocks[name]
    return blocks[name][0]


# ---------------------------------------------------------------------------------------- tutorial scripts
@pytest.mark.parametrize("script, expected", [
    ("hello_world.py", [("pytorch_model", "SmallModel", "= SmallModel(", "55 (<0.1 MB)", "479b1332", "'x': (10,)")]),
    ("two_models.py", [("pytorch_model", "SmallModel", "pytorch_model = SmallModel(", "55 (<0.1 MB)", "479b1332",
                        "'x': (10,)"),
                       ("another_pytorch_model", "SmallModel", "another_pytorch_model = SmallModel(", "510 (<0.1 MB)",
                        "215ca1e3", "'x': (50,)")]),
])
def test_tutorial_scripts_exact_fields(benchit, script, expected):
    proc = benchit(str(EXAMPLES / script), "--analyze-only", check=True)
    blocks = _blocks(proc.stdout)
    assert sorted(blocks) == sorted(name for name, *_ in expected)
    stem = script[:-3]
    for name, cls, created, params, digest, shape in expected:
        block = _one(blocks, name)
        assert block["executed"] == "1"
        assert block["Model Type"] == "Pytorch (torch.nn.Module)"
        assert block["Class"] == f"{cls} (<class '{stem}.{cls}'>)"
        assert block["Location"] == f"{EXAMPLES / script}, line {_line_of(EXAMPLES / script, created)}"
        assert block["Parameters"] == params
        assert block["Hash"] == digest
        assert block["Input Shape"] == shape
        assert "Status" not in block


@pytest.mark.slow
def test_max_depth_one_builds_and_benchmarks_sub_modules_counting_only_the_scripts_calls(benchit, cache_dir):
    script = EXAMPLES / "max_depth.py"
    proc = benchit(str(script), "--max-depth", "1", check=True)
    blocks = _blocks(proc.stdout)
    top, fc, fc2 = _one(blocks, "pytorch_model"), _one(blocks, "fc"), _one(blocks, "fc2")
    assert (top["Hash"], top["Parameters"], top["indent"]) == ("80b93950", "85 (<0.1 MB)", "1")
    assert (fc["Hash"], fc["Parameters"], fc["indent"]) == ("6d5eb4ee", "55 (<0.1 MB)", "3")
    assert (fc2["Hash"], fc2["Parameters"], fc2["indent"]) == ("d4b2ffa7", "30 (<0.1 MB)", "3")
    # the script calls the model once, so fc and fc2 run once: export, validation and benchmark never count
    assert [b["executed"] for b in (top, fc, fc2)] == ["1", "1", "1"]
    assert fc["Class"] == "Linear (<class 'torch.nn.modules.linear.Linear'>)"
    assert "Location" not in fc
    for block in (top, fc, fc2):
        assert block["Status"].startswith("Model successfully benchmarked on"), block
    for digest in ("80b93950", "6d5eb4ee", "d4b2ffa7"):
        assert (cache_dir / f"max_depth_{digest}").is_dir()


# ---------------------------------------------------------------------------------------- max depth 0/1/2
@pytest.mark.parametrize("depth, expected", [
    (0, {"top": ("1", "2")}),
    (1, {"top": ("1", "2"), "block": ("3", "4"), "head": ("3", "2")}),
    (2, {"top": ("1", "2"), "block": ("3", "4"), "block.lin": ("5", "4"), "block.act": ("5", "4"),
         "head": ("3", "2")}),
])
@pytest.mark.slow
def test_max_depth_on_a_three_level_model(benchit, depth, expected):
    # called twice by the script; the block runs twice per call
    proc = benchit(f"input.script={DATA / 'three_level.py'}", "input.script_args='2'", f"max_depth={depth}",
                   "mode=analyze", check=True)
    blocks = _blocks(proc.stdout)
    assert list(blocks) == list(expected)  # parents before their sub-modules, in call order
    for name, (indent, executed) in expected.items():
        block = _one(blocks, name)
        assert (block["indent"], block["executed"]) == (indent, executed), name
    if depth == 2:
        assert _one(blocks, "block.act")["Parameters"] == "0 (<0.1 MB)"
        assert _one(blocks, "block.lin")["Parameters"] == "42 (<0.1 MB)"


# ---------------------------------------------------------------------------------------- holding patterns
@pytest.mark.slow
def test_every_holding_pattern_is_found_with_its_name_and_count(benchit):
    script = DATA / "patterns.py"
    proc = benchit(f"input.script={script}", "mode=analyze", check=True)
    blocks = _blocks(proc.stdout)
    expected = {
        "global_model": ("global_model = Plain(1)", "'x': (1, 1)"),
        "local_model": ("local_model = Plain(2)", "'x': (1, 2)"),
        "holder.net": ("self.net = Plain(4)", "'x': (1, 4)"),
        "models[0]": ("models = [Plain(5)", "'x': (1, 5)"),
        "models[1]": ("models = [Plain(5)", "'x': (1, 6)"),
        "table['enc']": ('table = {"enc": Plain(7)}', "'x': (2, 7)"),
        "plain": ("Plain(8)(torch.rand(1, 8))", "'x': (1, 8)"),
    }
    assert list(blocks) == [*expected, "mixed"]
    for name, (created, shapes) in expected.items():
        block = _one(blocks, name)
        assert block["executed"] == "1", name
        assert block["Location"] == f"{script}, line {_line_of(script, created)}", name
        assert block["Input Shape"] == shapes, name
    # positional, keyword and mixed calls with the same tensors are one signature, called three times
    mixed = _one(blocks, "mixed")
    assert mixed["executed"] == "3"
    assert mixed["Input Shape"] == "'x': (2, 3), 'pair': [(2, 3), (1,)], 'extra': {'b': (2, 3)}, 'scale': 2"
    assert len({b["Hash"] for name in expected for b in blocks[name]}) == len(expected)
    assert "patterns done" in proc.stdout


def _hashes_of(benchit, script, *names) -> list[str]:
    blocks = _blocks(benchit(f"input.script={script}", "mode=analyze", check=True).stdout)
    return [_one(blocks, name)["Hash"] for name in names]


@pytest.mark.slow
def test_inputs_captured_under_inference_mode_build(benchit):
    script = DATA / "patterns.py"
    (digest,) = _hashes_of(benchit, script, "table['enc']")
    proc = benchit(f"{script}::{digest}", "--build-only", check=True)
    blocks = _blocks(proc.stdout)
    assert _one(blocks, "table['enc']")["Status"].startswith("Model successfully built"), proc.stdout
    assert "Status" not in _one(blocks, "global_model")


@pytest.mark.slow
def test_tuple_dict_int_inputs_and_dict_outputs_build(benchit):
    script = DATA / "patterns.py"
    (digest,) = _hashes_of(benchit, script, "mixed")
    proc = benchit(f"{script}::{digest}", "--build-only", check=True)
    assert _one(_blocks(proc.stdout), "mixed")["Status"].startswith("Model successfully built"), proc.stdout


# ---------------------------------------------------------------------------------------- invocations
@pytest.mark.slow
def test_two_signatures_are_two_invocations_selected_and_built_apart(benchit, cache_dir):
    script = EXAMPLES / "multiple_invocations.py"
    proc = benchit(str(script), "--analyze-only", check=True)
    first, second = _blocks(proc.stdout)["pytorch_model"]
    assert (first["executed"], first["Input Shape"]) == ("1", "'x': (1, 10)")
    assert (second["executed"], second["Input Shape"]) == ("3", "'x': (8, 10)")
    assert first["Hash"] == second["Hash"] == "479b1332"
    assert first["Invocation"] == "479b1332_1 (build multiple_invocations_479b1332)"
    assert second["Invocation"] == "479b1332_2 (build multiple_invocations_479b1332_2)"

    proc = benchit(f"{script}::479b1332_2", "--build-only", check=True)
    first, second = _blocks(proc.stdout)["pytorch_model"]
    assert "Status" not in first
    assert second["Status"].startswith("Model successfully built")
    assert (cache_dir / "multiple_invocations_479b1332_2").is_dir()
    assert not (cache_dir / "multiple_invocations_479b1332").exists()


@pytest.mark.slow
def test_instances_of_one_architecture_with_different_shapes_never_share_a_build(benchit):
    proc = benchit(str(DATA / "shared_hash.py"), "--analyze-only", check=True)
    blocks = _blocks(proc.stdout)
    (first,), (second_a, second_b) = blocks["first"], blocks["second"]
    assert first["Hash"] == second_a["Hash"] == "479b1332"
    assert first["Invocation"] == "479b1332_1 (build shared_hash_479b1332)"
    assert second_a["Invocation"] == "479b1332_2 (build shared_hash_479b1332_2)"  # (2, 10): a new signature
    assert second_b["Invocation"] == "479b1332_1 (build shared_hash_479b1332)"  # (10,): same as `first`


# ---------------------------------------------------------------------------------------- hash filters, modes
@pytest.mark.slow
def test_hash_filter_builds_only_the_selected_model_and_still_shows_all(benchit, cache_dir):
    proc = benchit(str(EXAMPLES / "two_models.py") + "::215ca1e3", "--build-only", check=True)
    blocks = _blocks(proc.stdout)
    assert "Status" not in _one(blocks, "pytorch_model")
    assert _one(blocks, "another_pytorch_model")["Status"].startswith("Model successfully built")
    assert (cache_dir / "two_models_215ca1e3").is_dir()
    assert not (cache_dir / "two_models_479b1332").exists()


@pytest.mark.parametrize("form", ["tutorial", "hydra"])
@pytest.mark.slow
def test_hash_filter_matching_nothing_is_an_error_listing_the_hashes(benchit, cache_dir, form):
    script = EXAMPLES / "two_models.py"
    args = [f"{script}::deadbeef"] if form == "tutorial" else [f"input.script={script}", "input.hashes=[deadbeef]"]
    proc = benchit(*args)
    assert proc.returncode != 0
    assert ("Error: hash filter deadbeef matches no model in two_models.py; hashes found: 479b1332, 215ca1e3"
            in proc.stdout)
    assert "Woohoo" not in proc.stdout
    assert not (cache_dir / "two_models_479b1332").exists()


@pytest.mark.slow
def test_with_several_scripts_a_hash_selects_in_the_script_that_has_it(benchit, cache_dir):
    scripts = f"input.scripts=[{EXAMPLES / 'hello_world.py'},{EXAMPLES / 'two_models.py'}]"
    proc = benchit(scripts, "input.hashes=[215ca1e3]", "mode=build", check=True)
    assert (cache_dir / "two_models_215ca1e3").is_dir()
    assert not (cache_dir / "hello_world_479b1332").exists() and not (cache_dir / "two_models_479b1332").exists()
    assert "hash filter" not in proc.stdout
    results_dir = re.search(r"Results: (\S+)", proc.stdout).group(1)
    scripts = json.loads((Path(results_dir) / "results.json").read_text())["scripts"]
    assert [s.get("unmatched_hashes") or None for s in scripts] == [["215ca1e3"], None]


@pytest.mark.slow
def test_analyze_only_prints_times_and_builds_nothing(benchit, cache_dir):
    proc = benchit(str(EXAMPLES / "hello_world.py"), "--analyze-only", check=True)
    # the first call's time is printed (how long it took is the machine's business, not the test's)
    assert re.search(r"^\tpytorch_model \(executed 1x - \d+\.\d\ds\)$", proc.stdout, re.M), proc.stdout
    assert "Status:" not in proc.stdout
    assert not (cache_dir / "hello_world_479b1332").exists()
    assert "pytorch_outputs: tensor(" in proc.stdout


# ---------------------------------------------------------------------------------------- how the script runs
@pytest.mark.parametrize("form", ["tutorial", "hydra"])
@pytest.mark.slow
def test_script_runs_as_main_with_its_args_folder_and_the_callers_cwd(benchit, tmp_path, form):
    script = DATA / "script_env.py"
    if form == "tutorial":
        args = [str(script), "--script-args", "--dim 8 --layers 3", "--analyze-only"]
    else:
        args = [f"input.script={script}", "input.script_args='--dim 8 --layers 3'", "mode=analyze"]
    proc = benchit(*args, check=True)
    block = _one(_blocks(proc.stdout), "model")
    assert block["Parameters"] == "216 (<0.1 MB)"  # three Linear(8, 8): the args reached the script
    assert block["Input Shape"] == "'input': (1, 8)"
    assert (f"main block ran; argv=['--dim', '8', '--layers', '3']; cwd={tmp_path}; path0={DATA}; "
            "helper=helper found") in proc.stdout
    assert "to stderr" in proc.stderr


# ---------------------------------------------------------------------------------------- misbehaving scripts
@pytest.mark.slow
def test_script_that_raises_still_builds_its_models_and_fails(benchit, cache_dir):
    script = DATA / "raises.py"
    proc = benchit(str(script), "--build-only")
    assert proc.returncode != 0
    block = _one(_blocks(proc.stdout), "model")
    assert block["Status"].startswith("Model successfully built")
    line = _line_of(script, "raise ValueError")
    assert (f"\tError: the script raised: ValueError: something went wrong in the script ({script}, line {line})"
            in proc.stdout)
    assert "before the error" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


@pytest.mark.slow
def test_script_that_exits_with_a_status_fails_with_its_location(benchit):
    script = DATA / "exits.py"
    proc = benchit(str(script), "--analyze-only")
    assert proc.returncode != 0
    assert _one(_blocks(proc.stdout), "model")["executed"] == "1"
    assert f"\tError: the script exited with code 3 ({script}, line {_line_of(script, 'sys.exit(3)')})" in proc.stdout


@pytest.mark.slow
def test_exit_zero_and_no_model_are_not_failures(benchit):
    proc = benchit(str(DATA / "exits_zero.py"), "--analyze-only", check=True)
    assert _one(_blocks(proc.stdout), "model")["executed"] == "1"
    proc = benchit(str(DATA / "no_model.py"), "--analyze-only", check=True)
    assert _blocks(proc.stdout) == {}
    assert proc.stdout.count("no PyTorch or Keras model was called by this script") == 1
    assert "never called" in proc.stdout


# ---------------------------------------------------------------------------------------- real architectures
@pytest.mark.slow
def test_a_script_that_traces_and_exports_its_model_runs_as_with_python(benchit):
    # torch.jit.trace under the recorder once failed its own sanity check (the recorder's reads were traced)
    proc = benchit(f"input.script={DATA / 'traced_models.py'}", "sequence=default", *QUICK, check=True)
    assert "traced (1, 4)" in proc.stdout and "exported (1, 4)" in proc.stdout
    blocks = _blocks(proc.stdout)
    assert {"traced", "exported"} <= set(blocks), list(blocks)
    for name in ("traced", "exported"):  # a TracedModule, and a GraphModule that has no eval()
        assert _one(blocks, name)["Status"].startswith("Model successfully benchmarked"), name


@pytest.mark.slow
def test_transformers_bert_gpt2_t5_from_small_configs(benchit):
    require("transformers", "a dev dependency")
    script = DATA / "transformers_models.py"
    proc = benchit(f"input.script={script}", "mode=analyze", check=True)
    blocks = _blocks(proc.stdout)
    assert list(blocks) == ["bert", "gpt2", "t5"]
    expected = dict(re.findall(r"expect (\w+) (params=\d+ hash=\w+)", proc.stdout))
    classes = {"bert": "BertModel (<class 'transformers.models.bert.modeling_bert.BertModel'>)",
               "gpt2": "GPT2LMHeadModel (<class 'transformers.models.gpt2.modeling_gpt2.GPT2LMHeadModel'>)",
               "t5": "T5ForConditionalGeneration (<class "
                     "'transformers.models.t5.modeling_t5.T5ForConditionalGeneration'>)"}
    shapes = {"bert": "'input_ids': (1, 8) int64, 'attention_mask': (1, 8) int64",
              "gpt2": "'input_ids': (1, 8) int64, 'use_cache': False",
              "t5": "'input_ids': (1, 8) int64, 'attention_mask': (1, 8) int64, 'decoder_input_ids': (1, 4) int64"}
    for name in ("bert", "gpt2", "t5"):
        block = _one(blocks, name)
        params = int(block["Parameters"].split()[0].replace(",", ""))
        assert f"params={params} hash={block['Hash']}" == expected[name], name
        assert block["executed"] == "1"
        assert block["Class"] == classes[name]
        assert block["Location"].startswith(f"{script}, line "), block["Location"]  # never site-packages
        assert block["Input Shape"] == shapes[name]


@pytest.mark.slow
def test_keras_sequential_functional_subclassed(benchit):
    require("tensorflow", "the tensorflow extra: pip install -e '.[tensorflow]'")
    script = DATA / "keras_models.py"
    proc = benchit(f"input.script={script}", "mode=analyze", "max_depth=1", check=True)
    blocks = _blocks(proc.stdout)
    assert [n for n in blocks if blocks[n][0]["indent"] == "1"] == ["sequential", "functional", "subclassed", "twin",
                                                                     "predicted"]
    expected = dict(re.findall(r"expect (\w+) params=(\d+)", proc.stdout))
    classes = {"sequential": "Sequential (<class 'keras.src.models.sequential.Sequential'>)",
               "functional": "Functional (<class 'keras.src.models.functional.Functional'>)",
               "subclassed": "Subclassed (<class 'keras_models.Subclassed'>)"}
    for name, cls in classes.items():
        block = _one(blocks, name)
        assert block["Model Type"] == "Keras (keras.Model)"
        assert block["Class"] == cls
        assert block["Parameters"] == f"{expected[name]} (<0.1 MB)"
        assert block["Location"] == f"{script}, line {_line_of(script, name + ' = ')}"
    assert _one(blocks, "subclassed")["executed"] == "3"
    assert _one(blocks, "subclassed")["Input Shape"] == "'x': (2, 4)"
    # symbolic calls (building the Functional model) are not calls: each layer ran once per model call
    hidden = _one(blocks, "hidden")
    assert (hidden["executed"], hidden["indent"], hidden["Model Type"]) == ("3", "3", "Keras (keras.layers.Layer)")
    # same architecture, same hash, even though Keras numbers the layer names
    assert _one(blocks, "twin")["Hash"] == _one(blocks, "sequential")["Hash"]
    assert len({_one(blocks, n)["Hash"] for n in classes}) == 3
    # predict() runs a graph: counted once per batch, its first batch recorded as the input
    predicted = _one(blocks, "predicted")
    assert (predicted["executed"], predicted["Input Shape"]) == ("3", "'inputs': (32, 3)")


@pytest.mark.slow
def test_results_file_records_what_was_printed(benchit):
    proc = benchit(str(EXAMPLES / "max_depth.py"), "--analyze-only", "--max-depth", "1", check=True)
    results_dir = re.search(r"Results: (\S+)", proc.stdout).group(1)
    script = json.loads((Path(results_dir) / "results.json").read_text())["scripts"][0]
    models = {m["name"]: m for m in script["models"]}
    assert models["fc"]["parent"] == "pytorch_model" and models["fc"]["depth"] == 1
    assert models["pytorch_model"]["invocations"][0]["calls"] == 1
    assert models["pytorch_model"]["invocations"][0]["invocation_id"] == "80b93950_1"
    assert models["fc"]["param_bytes"] == 55 * 4
