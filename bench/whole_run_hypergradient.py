# Cross-check of the whole-run hypergradient on an MLP that overfits (a replica of the
# fashion-mlp-overfit problem: 500 Fashion-MNIST images pooled to 7x7, 400 train / 100
# validate, width 128, depth 2, SGD lr 0.02 momentum 0.9, batches of 64, 80 epochs). For
# each decay D given (every layer at D) and two seeds it prints dL_V/d ln(lambda) per layer,
# by reverse mode through all 560 steps, beside the finite difference of two trainings at
# ln D +- 0.5. Needs Debian's python3-torch:
#   /usr/bin/python3 bench/whole_run_hypergradient.py 1e-4 1e-2
import gzip, numpy as np, torch, sys, math
torch.set_num_threads(2)
def load():
    with gzip.open('/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz') as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)[:500].astype(np.float32)
    with gzip.open('/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz') as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)[:500].astype(np.int64)
    x = x.reshape(500, 7, 4, 7, 4).sum((2, 4)).reshape(500, 49) / 16
    rng = np.random.default_rng(0); o = rng.permutation(500)
    x, y = x[o], y[o]
    xt, yt, xv, yv = x[100:], y[100:], x[:100], y[:100]
    m, s = xt.mean(0), xt.std(0) + 1e-8
    return [torch.tensor(a) for a in ((xt - m) / s, yt, (xv - m) / s, yv)]
xt, yt, xv, yv = load()
F = torch.nn.functional
def init(seed, width=128, depth=2):
    g = torch.Generator().manual_seed(seed); ws = []
    sizes = [49] + [width] * depth + [10]
    for a, b in zip(sizes[:-1], sizes[1:]):
        k = 1 / math.sqrt(a)
        ws += [(torch.rand(b, a, generator=g) * 2 - 1) * k, (torch.rand(b, generator=g) * 2 - 1) * k]
    return ws
def fwd(ws, x):
    for i in range(0, len(ws), 2):
        x = x @ ws[i].t() + ws[i + 1]
        if i + 2 < len(ws): x = F.relu(x)
    return x
def train(loglam, seed, lr=0.02, epochs=80, create_graph=False):
    ws = [w.clone().requires_grad_() for w in init(seed)]
    vs = [torch.zeros_like(w) for w in ws]
    g = torch.Generator().manual_seed(seed + 7)
    for e in range(epochs):
        perm = torch.randperm(400, generator=g)
        for b in range(0, 400, 64):
            idx = perm[b:b + 64]
            lam = loglam.exp()
            loss = F.cross_entropy(fwd(ws, xt[idx]), yt[idx]) + sum(0.5 * lam[i // 2] * ws[i].pow(2).sum() for i in range(0, len(ws), 2))
            gs = torch.autograd.grad(loss, ws, create_graph=create_graph)
            vs = [0.9 * v + gr for v, gr in zip(vs, gs)]
            ws = [w - lr * v for w, v in zip(ws, vs)]
            if not create_graph:
                ws = [w.detach().requires_grad_() for w in ws]; vs = [v.detach() for v in vs]
    return F.cross_entropy(fwd(ws, xv), yv)
for lam0 in [float(a) for a in sys.argv[1:]]:
    for seed in [1, 2]:
        loglam = torch.full((3,), math.log(lam0), requires_grad=True)
        val = train(loglam, seed, create_graph=True)
        (hg,) = torch.autograd.grad(val, loglam)
        up = train(torch.full((3,), math.log(lam0) + 0.5), seed).item()
        dn = train(torch.full((3,), math.log(lam0) - 0.5), seed).item()
        print(f"lam {lam0:g} seed {seed} val {val.item():.3f} dval/dloglam {hg.numpy().round(3)} sum {hg.sum().item():.3f} fd(+-0.5 all) {(up-dn):.3f} (up {up:.3f} dn {dn:.3f})", flush=True)
