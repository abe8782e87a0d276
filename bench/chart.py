"""The PNG chart of a run: per workload, our rate beside the peer's (or the reference), log scale."""

from __future__ import annotations

from pathlib import Path

from .report import Results


def draw(results: Results, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [w for w in results.workloads.values() if w.ours is not None]
    if not rows:
        return path
    labels, ours, other, other_label = [], [], [], []
    for w in rows:
        labels.append(f"{w.title} ({w.unit})")
        ours.append(w.ours.rate or 0)
        if w.peer is not None:
            other.append(w.peer.rate or 0)
            other_label.append("oidc-provider")
        else:
            other.append(w.reference or 0)
            other_label.append(w.reference_label)
    fig, ax = plt.subplots(figsize=(11, 0.55 * len(rows) + 1.6))
    ys = range(len(rows))
    ax.barh([y + 0.2 for y in ys], ours, height=0.38, label="ours", color="#1f6feb")
    ax.barh([y - 0.2 for y in ys], other, height=0.38, label="oidc-provider / reference", color="#d29922")
    for y, (o, p, lab) in enumerate(zip(ours, other, other_label, strict=True)):
        if o:
            ax.text(o, y + 0.2, f" {o:,.0f}", va="center", fontsize=7)
        if p:
            ax.text(p, y - 0.2, f" {p:,.0f} {lab if lab != 'oidc-provider' else ''}", va="center", fontsize=7)
        elif not o:
            ax.text(1, y + 0.2, " not implemented", va="center", fontsize=7)
    ax.set_yticks(list(ys))
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("operations per second (log scale)")
    meta = results.meta
    ax.set_title(f"make bench ({meta.get('mode', '')}, {meta.get('started', '')}): ours ({meta.get('server', '')}, "
                 f"2 workers) vs oidc-provider {meta.get('oidc_provider', '')} (2 workers)", fontsize=9)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
