"""A user's own build stage, named by sequence/with_user_stage.yaml in this --config-dir.

    benchit --config-dir examples/cli/extras/my_conf sequence=with_user_stage input=hello_world

The worked example of docs/builds.md ("A stage of your own").
"""

from benchit.build import Stage


class CountNodes(Stage):
    """Count the ONNX nodes of the current model (of one op type, or all) and record the number."""

    name = "count_nodes"
    writes_model = False  # reads the model, writes no new file: nothing to validate

    def __init__(self, op_type: str | None = None):
        self.op_type = op_type

    def run(self, ctx):
        import onnx

        model = onnx.load(str(ctx.onnx_file), load_external_data=False)
        nodes = [n for n in model.graph.node if self.op_type is None or n.op_type == self.op_type]
        print(f"{len(nodes)} {self.op_type or 'ONNX'} nodes in {ctx.onnx_file.name}")  # goes to log_count_nodes.txt
        ctx.facts["node_count"] = len(nodes)
