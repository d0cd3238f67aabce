#!/usr/bin/python3
"""Regenerate the PyTorch reference tensors for the CnnDsl runtime tests.

Run:  /usr/bin/python3 tests/References/make_references.py

For every case NAME this writes NAME.cnn (the network) and NAME.safetensors
(float32 tensors; see README.md).  Everything is computed in float64 from
float32-representable inputs/parameters, then cast to float32 for storage.
The .cnn text is parsed by a small interpreter below (the subset of the
language used here), so the tensors follow exactly what the .cnn file says,
including the C#-side parameter naming (canonical kind + ordinal).
"""
import json
import math
import os
import re
import struct

import torch
import torch.nn.functional as F

torch.set_num_threads(2)
HERE = os.path.dirname(os.path.abspath(__file__))
DT = torch.float64

# --------------------------------------------------------------------------- cases
# name -> (batch, seed, cnn text)
CASES = {}


def case(name, batch, text):
    CASES[name] = (batch, 1000 + len(CASES), text.strip("\n") + "\n")


case("lenet5", 2, """
network LeNet5
input 1x28x28
conv 5x5x6 p2 -> relu -> maxpool 2
conv 5x5x16 -> relu -> maxpool 2
flatten
dense 120 -> relu
dense 84 -> relu
dense 10
""")

case("residual_bn_shortcut", 2, """
network ResidualBnShortcut
input 4x8x8
# convolutions followed by batchnorm have no bias: in training mode the bias
# gradient of such a conv is exactly zero, which a relative-error test cannot compare
residual {
  conv 3x3x8 s2 p1 nobias -> batchnorm -> relu
  conv 3x3x8 p1 nobias -> batchnorm
} shortcut {
  conv 1x1x8 s2 nobias -> batchnorm
}
relu
globalavgpool
dense 3
""")

case("inception", 2, """
network Inception
input 4x8x8
concat {
  [conv 1x1x4 -> relu]
  [conv 1x1x2 -> relu -> conv 3x3x4 p1]
  [maxpool 3 s1 p1 -> conv 1x1x2]
}
flatten
dense 5
""")

case("conv1d", 2, """
network Conv1d
input 3x17
conv 3x6 s2 d2 -> relu
conv 4x5 same -> relu
maxpool 2
flatten
dense 4
""")

case("conv3d", 2, """
network Conv3d
input 2x5x6x7
conv 3x3x3x4 p1 s2 -> relu
avgpool 2 ceil
flatten
dense 3
""")

for _mode in ("zeros", "reflect", "replicate", "circular"):
    case("padding_" + _mode, 2, f"""
network Padding{_mode.capitalize()}
input 4x9x10
conv 3x3x6 s2 d2 g2 p2x1 {_mode} -> relu
conv 3x3x4 p1 {_mode}
flatten
dense 3
""")

case("same_full", 2, """
network SameFull
input 3x9x8
conv 4x4x4 s2 same -> tanh
conv 3x3x4 d2 same -> tanh
conv 3x3x2 full
flatten
dense 3
""")

case("dwconv", 2, """
network Dwconv
input 3x8x8
dwconv 3x3x2 p1 -> relu
dwconv 3x3 s2
flatten
dense 3
""")

case("maxpool_pad_ceil", 2, """
network MaxpoolPadCeil
input 2x10x5
maxpool 3 s2 p1 ceil
maxpool 2 p1 ceil
flatten
dense 3
""")

case("avgpool_pad_ceil", 2, """
network AvgpoolPadCeil
input 2x10x5
avgpool 3 s2 p1 ceil
avgpool 2 p1 ceil
flatten
dense 3
""")

case("lppool_norm2", 2, """
network LppoolNorm2
input 3x8x8
lppool 3 norm=2 s2
flatten
dense 3
""")

case("lppool_norm3_ceil", 2, """
network LppoolNorm3Ceil
input 3x7x7
# sigmoid first: PyTorch's LPPool raises x to the power P (not |x|), so a
# negative window sum with P=3 would give NaN
sigmoid
lppool 2 norm=3 ceil
flatten
dense 3
""")

case("adaptivemaxpool", 2, """
network Adaptivemaxpool
input 3x7x5
adaptivemaxpool 3x2
flatten
dense 3
""")

case("adaptiveavgpool", 2, """
network Adaptiveavgpool
input 3x7x5
adaptiveavgpool 3x3
flatten
dense 3
""")

case("globalmaxpool", 2, """
network Globalmaxpool
input 3x6x6
conv 3x3x4 -> relu
globalmaxpool
dense 3
""")

case("globalavgpool", 2, """
network Globalavgpool
input 3x6x6
conv 3x3x4 -> relu
globalavgpool
dense 3
""")

case("activations", 2, """
network Activations
input 3x6x6
conv 3x3x4 p1 -> leakyrelu 0.2
conv 3x3x4 p1 -> elu 0.5
flatten
dense 8 -> sigmoid
dense 6 -> tanh
dense 4
""")

case("softmax_last", 3, """
network SoftmaxLast
input 10
dense 8 -> relu
dense 5 -> softmax
""")

case("logsoftmax_last", 3, """
network LogsoftmaxLast
input 2x6x6
conv 3x3x3 -> relu
flatten
dense 5 -> logsoftmax
""")

case("channel_softmax", 2, """
network ChannelSoftmax
input 3x4x4
conv 1x1x5 -> softmax
flatten
dense 4
""")

case("maxout", 2, """
network Maxout
input 4x6x6
conv 3x3x6 -> maxout 2
flatten
dense 12 -> maxout 3
dense 3
""")

case("batchnorm1d", 3, """
network Batchnorm1d
input 6
dense 8 nobias -> batchnorm -> relu
dense 3
""")

case("batchnorm2d", 3, """
network Batchnorm2d
input 3x6x6
conv 3x3x4 p1 nobias -> batchnorm eps=1e-3 momentum=0.2 -> relu
conv 3x3x4 nobias -> bn
flatten
dense 3
""")

case("dense_nobias", 2, """
network DenseNobias
input 7
dense 5 nobias -> tanh
dense 3 nobias
""")

# (cases are added at the end: a case's seed is its index, so the files before it stay the same)
case("dropout", 3, """
network DropoutNet
input 3x6x6
conv 3x3x4 p1 -> relu -> dropout 0.3
flatten
dense 8 -> tanh -> dropout
dense 4
""")

case("identity", 2, """
network IdentityNet
input 2x4x4
identity
conv 3x3x3 p1 -> identity -> tanh
flatten
identity
dense 3
""")

case("prelu", 2, """
network PReluNet
input 3x5x5
prelu
conv 3x3x4 p1 -> prelu c
flatten
dense 6 -> prelu c
dense 5 -> prelu
dense 3
""")

# --------------------------------------------------------------------------- parser
ALIASES = {"bn": "batchnorm", "fc": "dense", "linear": "dense"}
KINDS = {"conv", "dwconv", "maxpool", "avgpool", "lppool", "adaptivemaxpool", "adaptiveavgpool",
         "globalmaxpool", "globalavgpool", "maxout", "relu", "sigmoid", "tanh", "softmax",
         "logsoftmax", "leakyrelu", "elu", "batchnorm", "dropout", "flatten", "dense", "identity", "prelu"}
PAD_MODES = {"zeros", "reflect", "replicate", "circular"}


def dims(s):
    return [int(v) for v in s.split("x")]


def parse_layer(text):
    toks = text.split()
    label = None
    if toks[0].endswith(":"):
        label, toks = toks[0][:-1], toks[1:]
    kind = ALIASES.get(toks[0].lower(), toks[0].lower())
    assert kind in KINDS, kind
    L = {"kind": kind, "label": label, "arg": None, "text": text}
    rest = toks[1:]
    if rest and re.fullmatch(r"[0-9.eE+-]+(x[0-9]+)*", rest[0]):
        L["arg"], rest = rest[0], rest[1:]
    for t in rest:
        tl = t.lower()
        m = re.fullmatch(r"([sdpg])([0-9]+(x[0-9]+)*)", tl)
        if m:
            L[{"s": "stride", "d": "dilation", "p": "pad", "g": "groups"}[m.group(1)]] = dims(m.group(2))
        elif tl in ("same", "valid", "full"):
            L["padkind"] = tl
        elif tl in PAD_MODES:
            L["mode"] = tl
        elif tl in ("nobias", "ceil"):
            L[tl] = True
        elif tl == "c" and kind == "prelu":
            L["per_channel"] = True
        elif "=" in tl:
            k, v = tl.split("=")
            L[k] = float(v)
        else:
            raise ValueError("option " + t)
    return L


def parse_chain(line):
    return [parse_layer(p.strip()) for p in line.split("->") if p.strip()]


def parse_seq(lines, i, stop):
    """Parse lines[i:] until a line starting with `stop` (or the end); returns (nodes, i)."""
    nodes = []
    while i < len(lines):
        ln = lines[i]
        if stop and ln.startswith(stop):
            return nodes, i
        if ln.startswith("concat {"):
            i += 1
            branches = []
            while not lines[i].startswith("}"):
                m = re.fullmatch(r"\[(.*)\]", lines[i])
                branches.append([("chain", parse_chain(m.group(1)))])
                i += 1
            nodes.append(("concat", branches))
            i += 1
        elif ln.startswith("residual {"):
            body, i = parse_seq(lines, i + 1, "}")
            short = None
            if re.fullmatch(r"}\s*shortcut\s*{", lines[i]):
                short, i = parse_seq(lines, i + 1, "}")
            nodes.append(("residual", body, short))
            i += 1
        else:
            nodes.append(("chain", parse_chain(ln)))
            i += 1
    return nodes, i


def parse_network(text):
    lines = []
    for raw in text.splitlines():
        raw = raw.split("#")[0].split("//")[0].strip()
        if raw:
            lines.append(raw)
    assert lines[0].startswith("network ")
    assert lines[1].startswith("input ")
    name = lines[0].split()[1]
    in_shape = dims(lines[1].split()[1])
    nodes, _ = parse_seq(lines, 2, None)
    return name, in_shape, nodes


# --------------------------------------------------------------------------- interpreter
def expand(v, r, default):
    if v is None:
        return [default] * r
    return v * r if len(v) == 1 else list(v)


def pool_out(n, k, s, pb, pa, d, ceil):
    """Spec section 5 formula, with PyTorch's ceil rule (last window must start inside input+left pad)."""
    num = n + pb + pa - d * (k - 1) - 1
    if ceil:
        o = -(-num // s) + 1
        if (o - 1) * s >= n + pb:
            o -= 1
    else:
        o = num // s + 1
    return o


# --------------------------------------------------------------------------- dropout's stream
# The C# model draws dropout masks from SplitMix64 (DeterministicRandom): its state starts at
# GOLDEN ^ seed, each He/Glorot-initialised weight element (conv and dense weights) takes one draw,
# and then every training forward takes one draw per element of each dropout layer, in order. The
# tests build the model with seed 0, so the masks are reproduced here exactly.
GOLDEN, MASK64 = 0x9E3779B97F4A7C15, (1 << 64) - 1


def splitmix64(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def float32(v):
    return struct.unpack("<f", struct.pack("<f", v))[0]


def dropout_stream(params):
    """The model's stream after initialisation: one draw per conv or dense weight element."""
    draws = sum(p.numel() for k, p in params.items() if k.endswith(".weight") and k.split(".")[-2].rstrip("0123456789") in ("conv", "dwconv", "dense"))
    return (GOLDEN + draws * GOLDEN) & MASK64


def dropout_mask(ctx, shape, rate):
    """The C# kernel's mask: element i drops when the top 53 bits of draw i + 1 are below ⌈rate·2⁵³⌉
    (rate as the float32 the float model holds); the kept ones are scaled by 1/(1 − rate) in float32."""
    r = float32(rate)
    threshold = 0 if r <= 0 else 1 << 53 if r >= 1 else math.ceil(r * 9007199254740992.0)
    keep = float32(1.0 / float32(1.0 - r)) if r < 1 else 0.0
    n = math.prod(shape)
    values = [0.0 if (splitmix64((ctx.stream + (i + 1) * GOLDEN) & MASK64) >> 11) < threshold else keep for i in range(n)]
    ctx.stream = (ctx.stream + n * GOLDEN) & MASK64
    return torch.tensor(values, dtype=DT).reshape(shape)


class Ctx:
    def __init__(self, gen, params, state, training, stream=None):
        self.gen, self.params, self.state, self.training = gen, params, state, training
        self.counts = {}
        self.order = []  # parameter names in creation order
        self.stream = stream

    def name(self, L):
        self.counts[L["kind"]] = self.counts.get(L["kind"], 0) + 1
        return L["label"] or f"{L['kind']}{self.counts[L['kind']]}"

    def rnd(self, shape, scale=1.0, shift=0.0, uniform=False):
        t = torch.rand(shape, generator=self.gen, dtype=DT) * 2 - 1 if uniform \
            else torch.randn(shape, generator=self.gen, dtype=DT)
        return (t * scale + shift).float().double()  # exactly representable in float32

    def param(self, name, shape, **kw):
        if name not in self.params:
            self.params[name] = self.rnd(shape, **kw).requires_grad_(True)
        return self.params[name]

    def buf(self, name, shape, **kw):
        if name not in self.state:
            self.state[name] = self.rnd(shape, **kw)
        return self.state[name]


CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
MAXP = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
AVGP = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}
ADMAX = {1: F.adaptive_max_pool1d, 2: F.adaptive_max_pool2d, 3: F.adaptive_max_pool3d}
ADAVG = {1: F.adaptive_avg_pool1d, 2: F.adaptive_avg_pool2d, 3: F.adaptive_avg_pool3d}
LPP = {1: F.lp_pool1d, 2: F.lp_pool2d}


def conv_layer(L, x, ctx, name):
    C, sp = x.shape[1], list(x.shape[2:])
    r = len(sp)
    a = dims(L["arg"])
    if L["kind"] == "conv":
        assert len(a) == r + 1, L["text"]
        k, Fo, g = a[:r], a[r], expand(L.get("groups"), 1, 1)[0]
    else:  # dwconv: kernel dims [x multiplier]
        assert len(a) in (r, r + 1), L["text"]
        k, g = a[:r], C
        Fo = C * (a[r] if len(a) == r + 1 else 1)
    s, d = expand(L.get("stride"), r, 1), expand(L.get("dilation"), r, 1)
    pk = L.get("padkind")
    if pk == "same":
        pads = []
        for i in range(r):
            tot = max((-(-sp[i] // s[i]) - 1) * s[i] + d[i] * (k[i] - 1) + 1 - sp[i], 0)
            pads.append((tot // 2, tot - tot // 2))
    elif pk == "full":
        pads = [(d[i] * (k[i] - 1),) * 2 for i in range(r)]
    else:
        pads = [(p, p) for p in expand(L.get("pad"), r, 0)]
    fan_in = (C // g) * math.prod(k)
    w = ctx.param(name + ".weight", [Fo, C // g] + k, scale=1 / math.sqrt(fan_in))
    b = None if L.get("nobias") else ctx.param(name + ".bias", [Fo], scale=0.1)
    mode = L.get("mode", "zeros")
    if mode == "zeros" and all(pb == pa for pb, pa in pads):
        y = CONV[r](x, w, b, s, [pb for pb, _ in pads], d, g)
    else:
        flat = [v for pr in reversed(pads) for v in pr]
        xp = F.pad(x, flat, mode="constant" if mode == "zeros" else mode)
        y = CONV[r](xp, w, b, s, 0, d, g)
    exp = [Fo] + [pool_out(sp[i], k[i], s[i], *pads[i], d[i], False) for i in range(r)]
    if pk == "same":
        assert exp[1:] == [-(-sp[i] // s[i]) for i in range(r)]
    return y, exp


def layer(L, x, ctx):
    name = ctx.name(L)
    kind = L["kind"]
    N, C, sp = x.shape[0], x.shape[1], list(x.shape[2:])
    r = len(sp)
    if kind in ("conv", "dwconv"):
        y, exp = conv_layer(L, x, ctx, name)
    elif kind in ("maxpool", "avgpool", "lppool"):
        k = expand(dims(L["arg"]), r, 1)
        s = expand(L.get("stride"), r, 1) if L.get("stride") else k
        p = expand(L.get("pad"), r, 0)
        ceil = bool(L.get("ceil"))
        if kind == "maxpool":
            y = MAXP[r](x, k, s, p, ceil_mode=ceil)
        elif kind == "avgpool":
            y = AVGP[r](x, k, s, p, ceil_mode=ceil, count_include_pad=True)
        else:
            assert sum(p) == 0
            y = LPP[r](x, L.get("norm", 2.0), k, s, ceil_mode=ceil)
        exp = [C] + [pool_out(sp[i], k[i], s[i], p[i], p[i], 1, ceil) for i in range(r)]
    elif kind in ("adaptivemaxpool", "adaptiveavgpool"):
        o = expand(dims(L["arg"]), r, 1)
        y = (ADMAX if kind == "adaptivemaxpool" else ADAVG)[r](x, o)
        exp = [C] + o
    elif kind == "globalavgpool":
        y, exp = x.mean(dim=tuple(range(2, x.dim()))), [C]
    elif kind == "globalmaxpool":
        y, exp = x.amax(dim=tuple(range(2, x.dim()))), [C]
    elif kind == "maxout":
        k = int(L["arg"])
        assert C % k == 0
        y = x.reshape(N, C // k, k, *sp).amax(dim=2)
        exp = [C // k] + sp
    elif kind == "flatten":
        y, exp = x.reshape(N, -1), [math.prod(x.shape[1:])]
    elif kind == "dense":
        assert x.dim() == 2, "dense needs a flat input"
        u = int(L["arg"])
        w = ctx.param(name + ".weight", [u, C], scale=1 / math.sqrt(C))
        b = None if L.get("nobias") else ctx.param(name + ".bias", [u], scale=0.1)
        y, exp = F.linear(x, w, b), [u]
    elif kind == "batchnorm":
        w = ctx.param(name + ".weight", [C], scale=0.2, shift=1.0, uniform=True)
        b = ctx.param(name + ".bias", [C], scale=0.1)
        rm = ctx.buf(name + ".running_mean", [C], scale=0.2)
        rv = ctx.buf(name + ".running_var", [C], scale=0.5, shift=1.0, uniform=True)
        y = F.batch_norm(x, rm, rv, w, b, ctx.training, L.get("momentum", 0.1), L.get("eps", 1e-5))
        exp = list(x.shape[1:])
    else:
        exp = list(x.shape[1:])
        if kind == "relu":
            y = F.relu(x)
        elif kind == "sigmoid":
            y = torch.sigmoid(x)
        elif kind == "tanh":
            y = torch.tanh(x)
        elif kind == "softmax":
            y = F.softmax(x, dim=1)
        elif kind == "logsoftmax":
            y = F.log_softmax(x, dim=1)
        elif kind == "leakyrelu":
            y = F.leaky_relu(x, float(L["arg"]) if L["arg"] else 0.01)
        elif kind == "elu":
            y = F.elu(x, float(L["arg"]) if L["arg"] else 1.0)
        elif kind == "identity":
            y = x
        elif kind == "prelu":
            w = ctx.param(name + ".weight", [C if L.get("per_channel") else 1], scale=0.2, shift=0.25, uniform=True)
            y = F.prelu(x, w)
        elif kind == "dropout":
            rate = float(L["arg"]) if L["arg"] else 0.5
            y = x * dropout_mask(ctx, list(x.shape), rate).to(x.dtype) if ctx.training else x
        else:
            raise ValueError(kind + " not supported by the reference generator")
    assert list(y.shape) == [N] + exp, (L["text"], list(y.shape), exp)
    ctx.last_input, ctx.last_kind = x, kind
    return y


def layers_of(nodes):
    for nd in nodes:
        if nd[0] == "chain":
            yield from nd[1]
        elif nd[0] == "concat":
            for br in nd[1]:
                yield from layers_of(br)
        else:
            yield from layers_of(nd[1])
            if nd[2] is not None:
                yield from layers_of(nd[2])


def run_seq(nodes, x, ctx):
    for nd in nodes:
        if nd[0] == "chain":
            for L in nd[1]:
                x = layer(L, x, ctx)
        elif nd[0] == "concat":
            outs = [run_seq(br, x, ctx) for br in nd[1]]
            assert all(o.shape[2:] == outs[0].shape[2:] for o in outs)
            x = torch.cat(outs, dim=1)
            ctx.last_kind = "concat"
        else:
            body = run_seq(nd[1], x, ctx)
            short = run_seq(nd[2], x, ctx) if nd[2] is not None else x
            assert body.shape == short.shape
            x = body + short
            ctx.last_kind = "add"
    return x


# --------------------------------------------------------------------------- safetensors
def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for k in sorted(tensors):
        t = tensors[k].detach().to(torch.float32).contiguous()
        data = t.numpy().astype("<f4").tobytes()
        header[k] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for k, v in header.items():
        a, b = v["data_offsets"]
        buf = bytearray(raw[8 + n + a:8 + n + b])
        out[k] = torch.frombuffer(buf, dtype=torch.float32).reshape(v["shape"]).clone()
    return out


# --------------------------------------------------------------------------- driver
def make(name, batch, seed, text):
    netname, in_shape, nodes = parse_network(text)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn([batch] + in_shape, generator=gen, dtype=DT).float().double()
    params, state = {}, {}

    ctx = Ctx(gen, params, state, training=False)  # eval pass; creates parameters lazily
    with torch.no_grad():
        out_eval = run_seq(nodes, x, ctx)
    state0 = {k: v.clone() for k, v in state.items()}

    ctx = Ctx(gen, params, state, training=True, stream=dropout_stream(params))
    xg = x.clone().requires_grad_(True)
    out = run_seq(nodes, xg, ctx)
    last_kind, last_in = ctx.last_kind, ctx.last_input
    gout = torch.randn(out.shape, generator=gen, dtype=DT).float().double()
    (out * gout).sum().backward()

    T = {"input": x, "grad_output": gout, "output": out, "output_eval": out_eval, "grad_input": xg.grad}
    for k, p in params.items():
        T["param." + k] = p
        T["grad." + k] = p.grad
    for k in state:
        T["state." + k] = state0[k]
        T["state_after." + k] = state[k]
    info = {"in": in_shape, "out": list(out.shape[1:]), "params": list(params), "state": list(state)}
    if out.dim() == 2:
        logits = last_in if last_kind in ("softmax", "logsoftmax") else out
        if any(L["kind"] == "dropout" for L in layers_of(nodes)):
            # the tests' TrainStep is the model's second training forward: the next masks of the stream
            # (and batchnorm, whose statistics that step updates again, is not in these networks)
            with torch.no_grad():
                again = Ctx(None, params, {k: v.clone() for k, v in state0.items()}, True, stream=ctx.stream)
                out2 = run_seq(nodes, x, again)
                logits = again.last_input if again.last_kind in ("softmax", "logsoftmax") else out2
        labels = torch.randint(0, out.shape[1], (batch,), generator=gen)
        T["labels"] = labels.to(DT)
        T["loss"] = F.cross_entropy(logits.detach(), labels).reshape(1)
        info["loss_from"] = "input of " + last_kind if logits is last_in else "output"

    # sanity checks
    for k, t in T.items():
        assert t is not None and torch.isfinite(t).all(), (name, k)
        if k.startswith("grad"):
            assert t.norm() > 1e-3 * max(1.0, 1e-3 * t.numel()), (name, k, t.norm())
    if not state and not any(L["kind"] == "dropout" for L in layers_of(nodes)):
        assert torch.allclose(out_eval, out.detach()), name
    assert re.fullmatch(r"[A-Z][A-Za-z0-9]*", netname)

    with open(os.path.join(HERE, name + ".cnn"), "w") as f:
        f.write(text)
    path = os.path.join(HERE, name + ".safetensors")
    write_safetensors(path, T)
    back = read_safetensors(path)
    assert sorted(back) == sorted(T)
    for k in T:
        assert torch.equal(back[k], T[k].detach().float()), (name, k)
    return info, params, state0, x


def independent_checks(results):
    """Cross-check a few cases against torch.nn modules (independent of the interpreter)."""
    import torch.nn as nn
    # LeNet-5: parameter count from the spec and nn.Sequential output
    info, params, _, x = results["lenet5"]
    assert sum(p.numel() for p in params.values()) == 61706
    net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                        nn.Linear(84, 10)).double()
    names = ["conv1", None, None, "conv2", None, None, None, "dense1", None, "dense2", None, "dense3"]
    with torch.no_grad():
        for m, n in zip(net, names):
            if n:
                m.weight.copy_(params[n + ".weight"])
                m.bias.copy_(params[n + ".bias"])
    ref = read_safetensors(os.path.join(HERE, "lenet5.safetensors"))
    assert torch.allclose(net(x).float(), ref["output"], rtol=1e-5, atol=1e-6)
    # padding modes: nn.Conv2d(padding_mode=...) against the stored output of the first conv path
    for mode in ("zeros", "reflect", "replicate", "circular"):
        info, params, _, x = results["padding_" + mode]
        c1 = nn.Conv2d(4, 6, 3, stride=2, padding=(2, 1), dilation=2, groups=2, padding_mode=mode).double()
        c2 = nn.Conv2d(6, 4, 3, padding=1, padding_mode=mode).double()
        with torch.no_grad():
            for c, n in ((c1, "conv1"), (c2, "conv2")):
                c.weight.copy_(params[n + ".weight"])
                c.bias.copy_(params[n + ".bias"])
            y = F.linear(c2(torch.relu(c1(x))).flatten(1), params["dense1.weight"], params["dense1.bias"])
        ref = read_safetensors(os.path.join(HERE, f"padding_{mode}.safetensors"))
        assert torch.allclose(y.float(), ref["output"], rtol=1e-5, atol=1e-6), mode
    # batchnorm2d: nn.BatchNorm2d running-stat update with eps/momentum
    info, params, state0, x = results["batchnorm2d"]
    ref = read_safetensors(os.path.join(HERE, "batchnorm2d.safetensors"))
    bn = nn.BatchNorm2d(4, eps=1e-3, momentum=0.2).double()
    with torch.no_grad():
        bn.running_mean.copy_(state0["batchnorm1.running_mean"])
        bn.running_var.copy_(state0["batchnorm1.running_var"])
        h = F.conv2d(x, params["conv1.weight"], None, padding=1)
        bn.train()(h)
        assert torch.allclose(bn.running_mean.float(), ref["state_after.batchnorm1.running_mean"])
        assert torch.allclose(bn.running_var.float(), ref["state_after.batchnorm1.running_var"])
    # nn.LPPool2d for the ceil case (sigmoid first)
    info, params, _, x = results["lppool_norm3_ceil"]
    ref = read_safetensors(os.path.join(HERE, "lppool_norm3_ceil.safetensors"))
    with torch.no_grad():
        y = nn.LPPool2d(3, 2, ceil_mode=True)(torch.sigmoid(x))
        y = F.linear(y.flatten(1), params["dense1.weight"], params["dense1.bias"])
    assert torch.allclose(y.float(), ref["output"], rtol=1e-5, atol=1e-6)


def rel(a, b):
    return ((a.double() - b.double()).norm() / b.double().norm()).item()


def float32_check(name, text):
    """Replay the case in float32 from the stored tensors (what the C# side does) and
    return the worst relative error against the stored float64-derived references."""
    _, _, nodes = parse_network(text)
    T = read_safetensors(os.path.join(HERE, name + ".safetensors"))
    params = {k[6:]: v.clone().requires_grad_(True) for k, v in T.items() if k.startswith("param.")}
    state = {k[6:]: v.clone() for k, v in T.items() if k.startswith("state.")}
    with torch.no_grad():
        ev = run_seq(nodes, T["input"], Ctx(None, params, state, False))
    x = T["input"].clone().requires_grad_(True)
    ctx = Ctx(None, params, state, True, stream=dropout_stream(params))
    out = run_seq(nodes, x, ctx)
    (out * T["grad_output"]).sum().backward()
    errs = {"output_eval": rel(ev, T["output_eval"]), "output": rel(out.detach(), T["output"]),
            "grad_input": rel(x.grad, T["grad_input"])}
    for k, p in params.items():
        errs["grad." + k] = rel(p.grad, T["grad." + k])
    for k, v in state.items():
        errs["state_after." + k] = rel(v, T["state_after." + k])
    if "loss" in T:
        logits = ctx.last_input if ctx.last_kind in ("softmax", "logsoftmax") else out
        if any(L["kind"] == "dropout" for L in layers_of(nodes)):
            with torch.no_grad():
                again = Ctx(None, params, state, True, stream=ctx.stream)
                out2 = run_seq(nodes, T["input"], again)
                logits = again.last_input if again.last_kind in ("softmax", "logsoftmax") else out2
        errs["loss"] = rel(F.cross_entropy(logits.detach(), T["labels"].long()).reshape(1), T["loss"])
    worst = max(errs, key=errs.get)
    assert errs[worst] < 1e-5, (name, worst, errs[worst])
    return worst, errs[worst]


def main():
    results = {}
    for name, (batch, seed, text) in CASES.items():
        info, params, state0, x = make(name, batch, seed, text)
        results[name] = (info, params, state0, x)
        print(f"{name:22s} N={batch} in={'x'.join(map(str, info['in']))} out={'x'.join(map(str, info['out']))} "
              f"params={info['params']} state={info['state']}" + (f" loss<-{info['loss_from']}" if 'loss_from' in info else ""))
    independent_checks(results)
    for name, (batch, seed, text) in CASES.items():
        worst, e = float32_check(name, text)
        print(f"float32 replay {name:22s} worst rel err {e:.2e} ({worst})")
    total = sum(os.path.getsize(os.path.join(HERE, f)) for f in os.listdir(HERE)
                if f.endswith((".cnn", ".safetensors")))
    print(f"total size of .cnn + .safetensors: {total} bytes")


if __name__ == "__main__":
    main()
