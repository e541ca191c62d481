"""One script, in a child process: analyze it, build and benchmark its models, write a result file.

    python -m benchit.worker JOB.json

The parent (runner) waits for this process with a timeout; a crash, sys.exit, hang or leak in
the user's code ends here, never in the sweep. The result file is rewritten after every step,
so whatever finished before a crash or timeout is still reported.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from benchit.cache.files import build_lock, read_json, write_json, write_yaml
from benchit.cache.layout import Build, safe_build_name
from benchit.processes import become_subreaper, die_with_parent, end_descendants


class Worker:
    def __init__(self, job: dict[str, Any]):
        self.job = job
        self.config = job["config"]
        self.script = Path(job["script"])
        self.result_path = Path(job["result_path"])
        self.cache_dir = Path(job["cache_dir"])
        self.progress = bool(job.get("progress"))
        self.result: dict[str, Any] = {"script": str(self.script), "phase": "running", "models": []}
        self.models: list = []
        self.save_error: OSError | None = None  # the result file could not be written
        self._records: dict[int, dict] = {}

    # ------------------------------------------------------------------ flow
    def run(self) -> None:
        self.save()
        outcome = self.analyze()
        self.result["script_outcome"] = {"status": outcome.status, "message": outcome.message,
                                         "location": outcome.location}
        if outcome.failed and outcome.traceback:
            self.result["script_outcome"]["traceback"] = outcome.traceback
        self.save()
        mode = self.config["mode"]
        targets = self.select()
        if targets is not None and mode != "analyze" and targets:
            self.build_and_benchmark(targets)
        self.result["phase"] = "done"
        self.save()

    def analyze(self):
        from benchit.analysis import ModelRecorder, run_script
        from benchit.capture import redirect_output

        recorder = ModelRecorder(self.script, max_depth=int(self.config["max_depth"]))
        self.say(f"running {self.script.name}")
        recorder.start()
        try:
            with redirect_output(self.job["stdout_path"], self.job["stderr_path"]):
                outcome = run_script(self.script, self.config["input"].get("script_args") or "")
        finally:
            recorder.stop()
        self.adopt(recorder.models)
        return outcome

    def adopt(self, models: list) -> None:
        """Take the models a recorder saw (here from the script; benchit.benchmark_model: from its one call)."""
        self.models = models
        for info in self.models:
            self.result["models"].append(self._describe(info))

    def select(self) -> list | None:
        """The (model, invocation) pairs to build; None if the hash filter matches nothing.

        A filter item is a model hash (every signature of that model: `479b1332`) or one signature
        of it (`479b1332_2`, the suffix of its build folder; `_1` is the first). Whatever is not
        selected, or not built in this mode, is released here: models and captured tensors.
        """
        items = [str(h).strip().lower() for h in self.config["input"].get("hashes") or [] if str(h).strip()]
        max_depth = int(self.config["max_depth"])
        chosen, matched = [], set()
        for info in self.models:
            for inv in info.invocations:
                record = self._record(info, inv)
                hit = [item for item in items if item in (info.hash, record["invocation_id"])]
                matched.update(hit)
                if info.depth <= max_depth and (hit or not items):
                    chosen.append((info, inv))
                    record["selected"] = True
        unmatched = [item for item in items if item not in matched]
        input_cfg = self.config["input"]
        one_script = not (input_cfg.get("scripts") or input_cfg.get("search_dir"))
        if unmatched and one_script:
            ids = []
            for info in self.models:
                ids.append(info.hash)
                if len(self._signature_numbers(info)) > 1:
                    ids += [self._record(info, inv)["invocation_id"] for inv in info.invocations]
            listed = ", ".join(dict.fromkeys(ids)) or "none (no model was called)"
            self.result["error"] = (f"hash filter {','.join(unmatched)} matches no model in {self.script.name}; "
                                    f"hashes found: {listed}")
            chosen = None
        elif unmatched:  # several scripts: a hash belongs to one of them, the others build nothing
            self.result["hash_filter_unmatched"] = unmatched
        keep = set() if chosen is None or self.config["mode"] == "analyze" else {id(inv) for _, inv in chosen}
        for info in self.models:  # free what will not be built: large models and inputs add up
            for inv in info.invocations:
                if id(inv) not in keep:
                    inv.release()
            if not any(id(inv) in keep for inv in info.invocations):
                info.model = None
        return chosen

    def build_and_benchmark(self, targets: list) -> None:
        from hydra.utils import instantiate

        from benchit.build import load_sequence

        try:
            sequence = load_sequence(self.config["sequence"])
            device = instantiate(self.config["device"], _convert_="all") if self.config["mode"] == "benchmark" else None
        except Exception as error:
            message = f"{type(error).__name__}: {error}".splitlines()[0]
            for info, inv in targets:
                self._record(info, inv).update(status="failed", message=message)
            self.save()
            return
        cache = self.config["cache"]
        done: dict[str, dict] = {}  # build name -> record: identical models in one script build once
        remaining: dict[int, int] = {}  # id(model info) -> invocations still to build
        for info, _ in targets:
            remaining[id(info)] = remaining.get(id(info), 0) + 1
        for info, inv in targets:
            try:
                self._build_and_benchmark_one(info, inv, sequence, device, cache, done)
            finally:
                # Free each model (and its captured tensors) once its last invocation is done.
                inv.release()
                remaining[id(info)] -= 1
                if remaining[id(info)] == 0:
                    info.release()

    def _build_and_benchmark_one(self, info, inv, sequence, device, cache: dict, done: dict) -> None:
        from benchit.build import BuildContext, build_invocation
        from benchit.build.builder import build_key, reference_outputs

        record = self._record(info, inv)
        name = record["build_name"]
        if name in done:
            record.update({k: v for k, v in done[name].items() if k not in ("name", "calls")})
            return
        build = Build(self.cache_dir, name)
        self.say(f"building {info.name} ({name})")
        needs_build = device is None or device.needs_onnx
        result = None
        if needs_build:
            ctx = BuildContext(model=info.model, framework=info.framework, args=inv.args, kwargs=inv.kwargs,
                               reference_outputs=reference_outputs(inv.outputs), build=build)
            started = time.perf_counter()
            try:
                result = build_invocation(
                    ctx, sequence, key=build_key(info.hash, inv.signature, sequence, info.framework),
                    rebuild=str(cache["rebuild"]), strict=bool((self.config.get("build") or {}).get("strict")),
                    extra_state=self._state_facts(info, inv), fallback_log_dir=self.result_path.parent,
                )
            except Exception as error:  # the builder itself failed (disk full, unwritable cache...)
                record.update(status="failed", message=f"build failed: {type(error).__name__}: {error}")
                done[name] = record
                self.save()
                return
            record["from_cache"] = result.from_cache
            record["build_seconds"] = round(time.perf_counter() - started, 4)
            record["rebuild_reason"] = None if result.from_cache else result.state.get("rebuild_reason")
            record["warnings"] = result.warnings
            record["validation"] = result.state.get("validation", {})
            if not result.ok:
                record.update(status="failed", message=result.message)
                done[name] = record
                self.save()
                return
            record["status"] = "built"
        if device is not None:
            self.benchmark(device, info, inv, build, result, record)
            if cache.get("lean") and result is not None:
                self.make_lean(build)
        done[name] = record
        self.save()

    def benchmark(self, device, info, inv, build: Build, result, record: dict) -> None:
        from benchit.devices.base import BenchmarkTarget

        self.say(f"benchmarking {info.name} on {device.name}")
        target = BenchmarkTarget(onnx_file=result.onnx_file if result else None,
                                 inputs=result.inputs if result else {}, model=info.model,
                                 args=inv.args, kwargs=inv.kwargs)
        try:
            outcome = device.benchmark(target)
        except Exception as error:
            message = f"{type(error).__name__}: {error}".splitlines()[0] if not getattr(error, "args", None) \
                else str(error).splitlines()[0]
            record.update(status="failed", message=f"benchmark failed on {device.name}: {message}")
            return
        measurement = outcome.pop("measurement")
        from benchit.build.builder import library_versions

        entry = {
            "device": device.name,
            "device_name": device.device_name(),
            **outcome,
            **measurement.to_dict(),
            "onnx_file": str(result.onnx_file.relative_to(build.dir)) if result and result.onnx_file else None,
            "unstable": measurement.unstable(device.cv_warning),  # robust CV or mean drift: docs/devices.md
            "versions": library_versions(),
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        record.update(status="benchmarked", benchmark=entry)
        with build_lock(build.dir):
            if result is not None and not build.state_path.is_file():
                # `benchit cache delete` removed the build while it was measured: writing its stats would leave a
                # folder with no state (a broken entry). The number stays in this run's results.json.
                record.setdefault("warnings", []).append(
                    "the build was deleted from the cache while it was benchmarked: this result is only in the "
                    "run's results.json")
                return
            stats = build.load_stats() if build.stats_path.exists() else {}
            stats.setdefault("model", {}).update(self._state_facts(info, inv))
            if result is not None:
                stats["validation"] = result.state.get("validation", {})
            stats.setdefault("benchmarks", {})[device.key] = entry
            write_yaml(build.stats_path, stats)

    def make_lean(self, build: Build) -> None:
        """Delete heavy artifacts (lean cache) and say so in the state."""
        from benchit.cache.manage import clean_build

        clean_build(build, wait=True)

    # ------------------------------------------------------------------ records
    def _build_name(self, info, inv) -> str:
        """<stem>_<hash> for a model's first input signature, <stem>_<hash>_<n> for the n-th.

        Signatures are numbered per hash across the script (two instances of one architecture called
        with the same shapes share a build; with different shapes they never share a folder).
        """
        name = f"{safe_build_name(self.script.stem)}_{info.hash}"
        n = self._signature_numbers(info)[inv.signature]
        return name if n == 1 else f"{name}_{n}"

    def _signature_numbers(self, info) -> dict:
        """signature -> 1, 2, ... in the order the script first used it with any model of this hash."""
        numbers: dict = {}
        for other in self.models:
            if other.hash == info.hash:
                for inv in other.invocations:
                    numbers.setdefault(inv.signature, len(numbers) + 1)
        return numbers

    def _describe(self, info) -> dict[str, Any]:
        return {
            "name": info.name,
            "framework": info.framework,
            "model_type": info.model_type,
            "class_name": info.class_name,
            "class_path": info.class_path,
            "location": list(info.location) if info.location else None,
            "location_note": info.location_note,
            "params": info.params,
            "param_bytes": info.param_bytes,
            "hash": info.hash,
            "depth": info.depth,
            "parent": info.parent.name if info.parent else None,
            "signatures": len(self._signature_numbers(info)),
            "invocations": [self._record(info, inv) for inv in info.invocations],
        }

    def _record(self, info, inv) -> dict[str, Any]:
        key = id(inv)
        if key not in self._records:
            self._records[key] = {
                "index": inv.index,
                "invocation_id": f"{info.hash}_{self._signature_numbers(info)[inv.signature]}",
                "build_name": self._build_name(info, inv),
                "inputs": dict(inv.described_inputs()),
                "calls": inv.calls,
                "seconds": round(inv.seconds, 6),
                "selected": False,
                "status": "analyzed",
            }
        return self._records[key]

    def _state_facts(self, info, inv) -> dict[str, Any]:
        return {
            "script": str(self.script),
            "model_name": info.name,
            "model_class": info.class_name,
            "model_type": info.model_type,
            "framework": info.framework,
            "model_hash": info.hash,
            "params": info.params,
            "invocation": inv.index,
            "inputs": dict(inv.described_inputs()),
            "labels": self.job.get("labels") or {},
        }

    def save(self) -> None:
        try:
            write_json(self.result_path, self.result)
        except OSError as error:  # a full disk or an unwritable run folder: exit EXIT_UNWRITABLE, the parent says so
            self.save_error = error

    def say(self, text: str) -> None:
        if self.progress:
            sys.stderr.write(f"\r\x1b[2Kbenchit: {text}")
            sys.stderr.flush()


# The worker's exit code when it could not write its result file (disk full, read-only): nothing else to say it with.
EXIT_UNWRITABLE = 3


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    job = read_json(argv[0])
    die_with_parent(job.get("parent_pid"))
    become_subreaper()  # what the script starts stays below this process, to be ended with it
    worker = Worker(job)
    try:
        worker.run()
    except Exception as error:
        worker.result["phase"] = "crashed"
        worker.result["error"] = f"{type(error).__name__}: {error}".splitlines()[0]
        worker.result["traceback"] = traceback.format_exc()
        worker.save()
        return EXIT_UNWRITABLE if worker.save_error else 1
    finally:
        if worker.progress:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()
    return EXIT_UNWRITABLE if worker.save_error else 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Processes the script left running must not measure beside the next script; threads must not keep the
    # worker alive.
    end_descendants()
    os._exit(code)
