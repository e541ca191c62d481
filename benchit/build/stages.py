"""benchit's built-in stages, by the names configs use (`_target_: benchit.build.stages.ExportModel`).

Each stage is a dataclass whose fields are its parameters; `register_stage_configs` puts their schemas in
Hydra's ConfigStore as the `stage` group, which the shipped sequences compose (conf/sequence/*.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from benchit.build.export import ExportModel
from benchit.build.fp16 import ConvertFp16
from benchit.build.optimize import OptimizeOnnx
from benchit.build.stage import BuildContext, Stage, config_schema

__all__ = ["ConvertFp16", "ExportModel", "OptimizeOnnx", "SetSuccess", "STAGE_CONFIGS", "register_stage_configs"]


@dataclass
class SetSuccess(Stage):
    """Mark the build successful (the tutorial's last stage)."""

    name: ClassVar[str] = "set_success"
    writes_model: ClassVar[bool] = False

    def run(self, ctx: BuildContext) -> None:
        ctx.facts["build_status"] = "successful"


# conf/sequence/*.yaml: `- /stage@stages.export: export`
STAGE_CONFIGS = {"export": ExportModel, "optimize": OptimizeOnnx, "fp16": ConvertFp16, "set_success": SetSuccess}


def _schema(stage_class: type) -> type:
    """The stage's config schema, `_target_` by the name configs use (benchit.build.stages.ExportModel), and
    importable by name from this module: a launcher that pickles the ConfigStore for its jobs (submitit, Ray,
    joblib) then pickles it by reference (cloudpickle 2 pickles an unimportable dataclass by value and loses
    its fields)."""
    schema = config_schema(stage_class, f"{__name__}.{stage_class.__name__}")
    schema.__module__ = __name__
    return schema


ExportModelConfig = _schema(ExportModel)
OptimizeOnnxConfig = _schema(OptimizeOnnx)
ConvertFp16Config = _schema(ConvertFp16)
SetSuccessConfig = _schema(SetSuccess)
STAGE_SCHEMAS = {"export": ExportModelConfig, "optimize": OptimizeOnnxConfig, "fp16": ConvertFp16Config,
                 "set_success": SetSuccessConfig}


def register_stage_configs(store) -> None:
    for name, schema in STAGE_SCHEMAS.items():
        store.store(group="stage", name=name, node=schema)
