# Wrong: drops dynamic=False and keeps the Python float: automatic dynamic still compiles twice
"""Eager and compiled PyTorch: what torch.compile captures, what it costs, when it compiles again."""

import statistics
import time
import warnings

import torch
from torch import nn

from fwlearn import report_fact

torch.manual_seed(0)  # the data and every layer's initial weights

# %% Eager by default
x = torch.randn(256, 8)  # 256 rows of 8 inputs
y = torch.sin(x.sum(dim=1, keepdim=True))  # a smooth target to regress
hidden = torch.tanh(x[:2] @ torch.ones(8, 3))  # runs now: the numbers exist on this line
print("an op's result, right away:", hidden[0].tolist())


class Net(nn.Module):
    """8 -> 32 -> 32 -> 1, with a Python counter of how often forward's code runs."""

    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1)
        )
        self.forward_runs = 0

    def forward(self, inputs):
        self.forward_runs += 1  # plain Python: runs each time forward runs
        return self.layers(inputs)


net = Net()
for _ in range(3):
    net(x)
print("eager: forward's Python code ran", net.forward_runs, "times in 3 calls")
report_fact("eager_forward_runs", net.forward_runs)


# %% Compiled mode
class CountingBackend:
    """A torch.compile backend (the documented custom-backend hook): dynamo hands it each graph
    it captures, as a torch.fx GraphModule, and runs what it returns. This one runs the graph as
    it is (like backend="eager") and counts the graphs compiled and the calls that ran one."""

    def __init__(self):
        self.graphs = []
        self.graph_runs = 0

    def __call__(self, graph_module, example_inputs):
        self.graphs.append(graph_module)

        def run(*args):
            self.graph_runs += 1
            return graph_module.forward(*args)

        return run


layers = net.layers  # the same weights, without the counter
backend = CountingBackend()
compiled = torch.compile(layers, backend=backend)
for _ in range(3):
    out = compiled(x)
print(f"compiled: {len(backend.graphs)} graph captured, run {backend.graph_runs} times")
ops = [n.target for n in backend.graphs[0].graph.nodes if n.op in ("call_function", "call_module")]
print("the captured graph's calls:", [getattr(op, "__name__", str(op)) for op in ops])
diff = (out - layers(x)).abs().max().item()
print(f"compiled vs eager output: max difference {diff:.1e}")
report_fact("compiled_graphs", len(backend.graphs))
report_fact("compiled_graph_runs", backend.graph_runs)
report_fact("compiled_vs_eager", diff)

counted = CountingBackend()
counting_net = torch.compile(Net(), backend=counted)
for _ in range(3):
    counting_net(x)
print(f"a compiled forward with a counter: {len(counted.graphs)} graphs in 3 calls")
report_fact("counter_compiles", len(counted.graphs))


# %% Time per step
def train_steps(model, steps=40, batch=32):
    """Seconds per SGD step on batches of 32 rows: the first step, and the median of the rest
    after five more of warm-up."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    loss_fn = nn.MSELoss()
    times = []
    for step in range(steps):
        rows = slice(step * batch % 256, step * batch % 256 + batch)
        start = time.perf_counter()
        optimizer.zero_grad()
        loss = loss_fn(model(x[rows]), y[rows])
        loss.backward()
        optimizer.step()
        times.append(time.perf_counter() - start)
    return times[0], statistics.median(times[6:]), loss.item()


torch.manual_seed(1)
first_eager, step_eager, loss_eager = train_steps(Net().layers)
torch.manual_seed(1)  # the same starting weights for the compiled copy
first_compiled, step_compiled, loss_compiled = train_steps(
    torch.compile(Net().layers, backend="eager")  # capture the graph, run it as it is
)
print(f"eager:    first step {first_eager * 1e3:7.1f} ms, then {step_eager * 1e3:.3f} ms a step")
print(f"compiled: first step {first_compiled * 1e3:7.1f} ms, then {step_compiled * 1e3:.3f} ms")
print(f"final loss: eager {loss_eager:.6f}, compiled {loss_compiled:.6f}")
report_fact("step_ms_eager", step_eager * 1e3)
report_fact("step_ms_compiled", step_compiled * 1e3)
report_fact("compile_s", first_compiled - step_compiled)
report_fact("compiled_over_eager", step_compiled / step_eager)
report_fact("train_loss_diff", abs(loss_eager - loss_compiled))


# %% Recompiling
def sgd_step(w, inputs, targets, lr):
    """One gradient step of least squares on w: a function torch.compile can capture whole."""
    grad = 2 * inputs.T @ (inputs @ w - targets) / len(inputs)
    return w - lr * grad


def schedule(step):
    return 0.1 * 0.8**step  # a decaying learning rate


counter = CountingBackend()
step_fn = torch.compile(sgd_step, backend=counter)  # let torch.compile decide what is dynamic
w = torch.zeros(8, 1)
w_eager = torch.zeros(8, 1)
for step in range(12):
    w = step_fn(w, x, y, schedule(step))
    w_eager = sgd_step(w_eager, x, y, schedule(step))
print(f"12 calls: {len(counter.graphs)} compiles, {counter.graph_runs} ran a compiled graph")
report_fact("calls", 12)
report_fact("compiles", len(counter.graphs))
report_fact("graph_runs", counter.graph_runs)
report_fact("w_vs_eager", (w - w_eager).abs().max().item())


# %% Graphs you can inspect
exported = torch.export.export(Net().layers, (x,))  # the whole model as one graph of aten ops
aten_ops = [n.target for n in exported.graph.nodes if n.op == "call_function"]
print("torch.export:", [str(op) for op in aten_ops])
report_fact("exported_ops", len(aten_ops))


def sign_flip(inputs):
    if inputs.sum() > 0:  # Python control flow on a tensor's value
        return inputs * 2
    return -inputs


with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # jit.trace is deprecated, and warns the trace may be wrong
    traced = torch.jit.trace(sign_flip, torch.ones(2))  # records the branch this input took
negative = -torch.ones(2)
print("sign_flip on -1s: python", sign_flip(negative).tolist(), "traced", traced(negative).tolist())
report_fact("trace_wrong_branch", bool((traced(negative) != sign_flip(negative)).any()))
