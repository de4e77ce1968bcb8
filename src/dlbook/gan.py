"""Generative adversarial networks: a generator G and a discriminator D trained against each other.

D(x) = sigmoid(u(x)) is the probability D gives that x is real; G(z) turns
noise z ~ N(0, I) into a sample. The two take turns (Goodfellow et al., 2014):

    D step:  minimize  L_D = -mean log D(x) - mean log(1 - D(G(z)))       (x real, z fresh)
    G step:  minimize  L_G = -mean log D(G(z))                             (non-saturating)
        or   minimize  L_G =  mean log(1 - D(G(z)))                        (minimax, the original game)

In the G step the discriminator is frozen: the gradient dL_G/du of its logits
flows back through D (`Sequential.backward` returns dL/dx) into the generator,
and only G's optimizer steps. Both losses are written with logits, through
`SigmoidBCE`, so they stay finite however sure D is.

The ring of Gaussians (`ring_of_gaussians`) is the 2-D data on which GANs are
usually watched, with `mode_coverage` measuring how many of its modes a
generator reaches.
"""

from __future__ import annotations

import numpy as np

from dlbook.losses import SigmoidBCE
from dlbook.model import Sequential
from dlbook.optim import Optimizer

__all__ = ["discriminator_loss", "generator_loss", "GAN", "ring_of_gaussians", "ring_centers", "mode_coverage"]

GENERATOR_LOSSES = ("non-saturating", "minimax")


def discriminator_loss(real_logits: np.ndarray, fake_logits: np.ndarray, *,
                       real_target: float = 1.0) -> tuple[float, np.ndarray, np.ndarray]:
    """L_D = BCE(u_real, t) + BCE(u_fake, 0), each a mean over its batch; and its gradients.

    dL_D/du_real = (sigmoid(u_real) - t) / N_real,  dL_D/du_fake = sigmoid(u_fake) / N_fake.

    Args:
        real_logits: (N_real, 1) D's logits on real samples.
        fake_logits: (N_fake, 1) D's logits on generated samples.
        real_target: t, the label of real samples: 1, or 0.9 with one-sided label smoothing.
    Returns:
        (loss, d_real: (N_real, 1), d_fake: (N_fake, 1)).
    """
    if not 0.0 < real_target <= 1.0:
        raise ValueError(f"Invalid real_target: {real_target} (expected 0 < t <= 1)")
    bce_real, bce_fake = SigmoidBCE(), SigmoidBCE()
    loss = bce_real.forward(real_logits, np.full_like(real_logits, real_target))
    loss += bce_fake.forward(fake_logits, np.zeros_like(fake_logits))
    return loss, bce_real.backward(), bce_fake.backward()


def generator_loss(fake_logits: np.ndarray, kind: str = "non-saturating") -> tuple[float, np.ndarray]:
    """The generator's loss on D's logits u = u(G(z)), and dL_G/du.

    non-saturating: L_G = -mean log sigmoid(u),      dL_G/du = (sigmoid(u) - 1) / N
    minimax:        L_G =  mean log(1 - sigmoid(u)), dL_G/du = -sigmoid(u) / N

    Where D easily spots the fakes (u very negative, D(G(z)) near 0), the minimax
    gradient vanishes with sigmoid(u); the non-saturating one tends to -1/N.

    Args:
        fake_logits: (N, 1) D's logits on generated samples.
        kind: "non-saturating" (default) or "minimax".
    Returns:
        (loss, d_fake: (N, 1)).
    """
    bce = SigmoidBCE()
    if kind == "non-saturating":
        loss = bce.forward(fake_logits, np.ones_like(fake_logits))  # -mean log D
        return loss, bce.backward()
    if kind == "minimax":
        loss = -bce.forward(fake_logits, np.zeros_like(fake_logits))  # mean log(1 - D) = -BCE(u, 0)
        return loss, bce.backward(-1.0)
    raise ValueError(f"Invalid generator loss kind: {kind!r} (expected one of {GENERATOR_LOSSES})")


class GAN:
    """A generator and a discriminator with one optimizer each, and their alternating training steps.

    Args:
        generator: Sequential mapping z: (N, latent_dim) to samples x: (N, D).
        discriminator: Sequential mapping x: (N, D) to logits u: (N, 1).
        g_optimizer, d_optimizer: one optimizer each (e.g. ``Adam(lr=1e-3, betas=(0.5, 0.999))``).
        latent_dim: size of z.
        loss: the generator's loss, "non-saturating" (default) or "minimax".
        label_smoothing: s; D is trained towards 1 - s on real samples (one-sided), default 0.
        noise: std of Gaussian noise added to every sample D sees, real and generated, default 0.
    """

    def __init__(self, generator: Sequential, discriminator: Sequential, *, g_optimizer: Optimizer,
                 d_optimizer: Optimizer, latent_dim: int, loss: str = "non-saturating",
                 label_smoothing: float = 0.0, noise: float = 0.0) -> None:
        if loss not in GENERATOR_LOSSES:
            raise ValueError(f"Invalid generator loss: {loss!r} (expected one of {GENERATOR_LOSSES})")
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"Invalid label_smoothing: {label_smoothing} (expected 0 <= s < 1)")
        if not noise >= 0.0:
            raise ValueError(f"Invalid noise: {noise} (expected a std >= 0)")
        if isinstance(latent_dim, bool) or not isinstance(latent_dim, (int, np.integer)) or latent_dim < 1:
            raise ValueError(f"Invalid latent_dim: {latent_dim}")
        self.generator, self.discriminator = generator, discriminator
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        self.latent_dim = int(latent_dim)
        self.loss, self.label_smoothing, self.noise = loss, label_smoothing, noise
        self.dtype = next(iter(generator.params().values())).dtype

    def sample_latent(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """z ~ N(0, I): (n, latent_dim), in the generator's dtype."""
        return rng.standard_normal((n, self.latent_dim)).astype(self.dtype, copy=False)

    def generate(self, z: np.ndarray) -> np.ndarray:
        """G(z) in inference mode: (N, D)."""
        return self.generator.predict(z)

    def _blur(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """x plus N(0, noise^2) noise (instance noise); x itself when noise is 0."""
        if not self.noise:
            return x
        return x + (self.noise * rng.standard_normal(x.shape)).astype(x.dtype, copy=False)

    def d_step(self, x_real: np.ndarray, rng: np.random.Generator) -> float:
        """One discriminator update on real samples x_real: (N, D) and as many fresh fakes; returns L_D.

        Real and generated samples go through D as one batch of 2N rows; the
        generator is only run forwards, so its parameters do not change.
        """
        N = x_real.shape[0]
        x_fake = self.generator.forward(self.sample_latent(N, rng), train=True)  # (N, D)
        x = self._blur(np.concatenate([x_real.astype(self.dtype, copy=False), x_fake]), rng)  # (2N, D)
        logits = self.discriminator.forward(x, train=True)  # (2N, 1): real rows first
        loss, d_real, d_fake = discriminator_loss(logits[:N], logits[N:], real_target=1.0 - self.label_smoothing)
        self.discriminator.backward(np.concatenate([d_real, d_fake]), input_grad=False)
        self.d_optimizer.step(self.discriminator.params(), self.discriminator.grads())
        return loss

    def generator_gradients(self, z: np.ndarray, rng: np.random.Generator | None = None) -> float:
        """Fill the generator's grads with dL_G/dθ_G for this z: (N, latent_dim); returns L_G.

        The gradient flows through the frozen discriminator: its backward returns
        dL_G/dx for the generated samples x = G(z), which the generator's backward
        takes as its upstream gradient. D's grads are overwritten, its parameters untouched.
        """
        x_fake = self.generator.forward(z, train=True)  # (N, D)
        if self.noise and rng is None:
            raise ValueError("generator_gradients: an rng is needed for the instance noise")
        logits = self.discriminator.forward(self._blur(x_fake, rng) if self.noise else x_fake, train=True)
        loss, d_logits = generator_loss(logits, self.loss)
        dx_fake = self.discriminator.backward(d_logits)  # dL_G/dx: (N, D), through D
        self.generator.backward(dx_fake, input_grad=False)
        return loss

    def g_step(self, n: int, rng: np.random.Generator) -> float:
        """One generator update on n fresh samples of z; only G's optimizer steps. Returns L_G."""
        loss = self.generator_gradients(self.sample_latent(n, rng), rng)
        self.g_optimizer.step(self.generator.params(), self.generator.grads())
        return loss


def ring_centers(modes: int = 8, radius: float = 2.0) -> np.ndarray:
    """The centers of the ring's modes, evenly spaced on a circle: (modes, 2)."""
    angles = 2 * np.pi * np.arange(modes) / modes
    return radius * np.column_stack([np.cos(angles), np.sin(angles)])


def ring_of_gaussians(n: int, *, modes: int = 8, radius: float = 2.0, std: float = 0.05,
                      rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
    """n points from an even mixture of `modes` Gaussians of std `std` on a circle of `radius`: (n, 2)."""
    if modes < 1 or n < 0 or std < 0:
        raise ValueError(f"Invalid ring: n={n}, modes={modes}, std={std}")
    centers = ring_centers(modes, radius)
    which = rng.integers(0, modes, size=n)
    return (centers[which] + std * rng.standard_normal((n, 2))).astype(dtype, copy=False)


def mode_coverage(samples: np.ndarray, centers: np.ndarray, std: float, *,
                  min_share: float = 0.01) -> tuple[int, float]:
    """How many modes the samples cover, and which share of them is near any mode.

    A sample is *good* if it lies within 3 std of its nearest center; a mode is
    *covered* if at least `min_share` of all samples are good samples of that mode
    (measures of the kind used in studies of mode collapse on this data).

    Args:
        samples: (N, 2) generated points; centers: (K, 2); std: the modes' std.
    Returns:
        (modes covered, share of good samples).
    """
    distances = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=2)  # (N, K)
    nearest = distances.argmin(axis=1)  # (N,)
    good = distances[np.arange(len(samples)), nearest] < 3 * std
    counts = np.bincount(nearest[good], minlength=len(centers))
    return int((counts >= min_share * len(samples)).sum()), float(good.mean())
