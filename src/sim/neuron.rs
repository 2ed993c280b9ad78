//! Single-neuron dynamics over one time step: grid and precise (docs/theory.md sections 1, 3).
//!
//! Potential from rest, `tau_m dV/dt = -V + c + I^s(t) + fast jumps`, with `c` the
//! constant part of the drive in this step (bias `sqrt(beta_ext) z_i` plus latent input
//! `w_i . s(t)`, with `s` evaluated at the start of the step).

use super::rng::{DriveRng, Inversion, Poisson, uniform_drive};
use crate::error::Result;
use crate::model::Population;

/// Per-population constants of the update for a step `h`.
#[derive(Clone, Debug)]
pub struct PopConst {
    /// Membrane time constant (s).
    pub tau_m: f64,
    /// Threshold (mV).
    pub theta: f64,
    /// Reset (mV).
    pub v_reset: f64,
    /// Refractory period (s).
    pub tau_ref: f64,
    /// Refractory period in whole steps (grid mode): `round(tau_ref / h)`.
    pub ref_steps: u32,
    /// `exp(-h / tau_m)`.
    pub p_m: f64,
    /// Response of V after `h` to a unit slow current at the step start that decays
    /// with `tau_s` (exact for the grid mode):
    /// `tau_s/(tau_s - tau_m) (exp(-h/tau_s) - exp(-h/tau_m))`.
    pub q_s: f64,
    /// External Poisson sources: (jump in mV, sampler of the count per step).
    pub ext: Vec<(f64, Poisson)>,
}

impl PopConst {
    /// Constants of a population for step `h` (s), slow time constant `tau_s` (s; any
    /// positive value when there is no slow current), and external sources `(jump mV, rate Hz)`.
    ///
    /// Fails when a source's mean count per step `rate h` is not a valid Poisson mean
    /// (see [`Poisson::new`]).
    pub fn new(pop: &Population, h: f64, tau_s: f64, ext: &[(f64, f64)]) -> Result<Self> {
        let tm = pop.tau_m;
        let p_m = (-h / tm).exp();
        let q_s = if (tau_s - tm).abs() < 1e-12 * tm {
            (h / tm) * p_m
        } else {
            tau_s / (tau_s - tm) * ((-h / tau_s).exp() - p_m)
        };
        let ext = ext
            .iter()
            .filter(|s| s.1 > 0.0 && s.0 != 0.0)
            .map(|&(j, r)| Ok((j, Poisson::new(r * h)?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(PopConst {
            tau_m: tm,
            theta: pop.theta,
            v_reset: pop.v_reset,
            tau_ref: pop.tau_ref,
            ref_steps: (pop.tau_ref / h).round() as u32,
            p_m,
            q_s,
            ext,
        })
    }
}

/// State of one neuron.
#[derive(Clone, Debug)]
pub struct Neuron {
    /// Membrane potential (mV, from rest).
    pub v: f64,
    /// Refractory steps left (grid mode).
    pub refr: u32,
    /// Refractory time left at the start of the step (s, precise mode).
    pub ref_left: f64,
    /// The neuron's stream for its external drive.
    pub rng: DriveRng,
}

/// How a population draws the summed external jumps of one step (mV): hoisted out of
/// the neuron loop, so the common case (one source sampled by table inversion) is a
/// straight-line draw.
#[derive(Clone, Copy, Debug)]
pub enum ExtDraw<'a> {
    /// No external source.
    None,
    /// One source of jump `j` (mV) sampled by inversion.
    One(f64, Inversion<'a>),
    /// Any other set of sources.
    Sources(&'a [(f64, Poisson)]),
}

impl<'a> ExtDraw<'a> {
    /// The draw for the external sources of `pc`.
    pub fn of(pc: &'a PopConst) -> Self {
        match pc.ext.as_slice() {
            [] => ExtDraw::None,
            [(j, p)] => match p.inversion() {
                Some(inv) => ExtDraw::One(*j, inv),
                None => ExtDraw::Sources(&pc.ext),
            },
            all => ExtDraw::Sources(all),
        }
    }

    /// Summed external jumps of one step (mV), drawn from `rng`: each source adds its
    /// jump times one Poisson count.
    #[inline(always)]
    pub fn draw(&self, rng: &mut DriveRng) -> f64 {
        let mut ext = 0.0;
        match self {
            ExtDraw::None => {}
            ExtDraw::One(j, inv) => ext += *j * inv.count(rng.next_u64()) as f64,
            ExtDraw::Sources(s) => {
                for (j, pois) in s.iter() {
                    ext += *j * pois.sample_drive(rng) as f64;
                }
            }
        }
        ext
    }
}

/// One grid step (NEST `iaf_psc_delta`): exact decay over `h`, then the step's summed
/// fast input `fast` (mV) and external jumps; threshold checked once at the step end.
/// While refractory, V stays at the reset and fast input is discarded (no Poisson
/// draw is made). `i_s` is the slow current at the step start (mV). Returns whether
/// the neuron spiked.
#[inline(always)]
pub fn grid_step(nr: &mut Neuron, pc: &PopConst, c: f64, i_s: f64, fast: f64) -> bool {
    let ext = ExtDraw::of(pc);
    grid_step_with(nr, pc, |r: &mut DriveRng| ext.draw(r), c, i_s, fast)
}

/// [`grid_step`] with the external draw of `pc` hoisted: `ext` returns the summed
/// external jumps of the step (mV) drawn from the stream it is given. Written without
/// branches on the neuron's state (its refractoriness and spikes are unpredictable):
/// the draw is made on a copy of the stream, which is kept only when the neuron is not
/// refractory, so the stream is the one of a draw made only then.
#[inline(always)]
pub fn grid_step_with(
    nr: &mut Neuron,
    pc: &PopConst,
    ext: impl Fn(&mut DriveRng) -> f64,
    c: f64,
    i_s: f64,
    fast: f64,
) -> bool {
    let free = nr.refr == 0;
    let mut rng = nr.rng;
    let jumps = ext(&mut rng);
    let v = pc.p_m * nr.v + (1.0 - pc.p_m) * c + pc.q_s * i_s + fast + jumps;
    let spike = free & (v >= pc.theta);
    nr.rng = nr.rng.select(rng, free);
    nr.v = if spike {
        pc.v_reset
    } else if free {
        v
    } else {
        nr.v
    };
    nr.refr = if spike {
        pc.ref_steps
    } else {
        nr.refr - (!free) as u32
    };
    spike
}

/// An input arrival within a step: offset from the step start (s) and jump (mV).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Arrival {
    /// Offset from the step start (s).
    pub t: f64,
    /// Jump of the potential (mV).
    pub w: f64,
}

/// Draw the external Poisson arrivals of one step with exact uniform times and append them.
#[inline]
pub fn draw_external(nr: &mut Neuron, pc: &PopConst, h: f64, out: &mut Vec<Arrival>) {
    for (j, pois) in &pc.ext {
        let k = pois.sample_drive(&mut nr.rng);
        for _ in 0..k {
            out.push(Arrival {
                t: h * uniform_drive(&mut nr.rng),
                w: *j,
            });
        }
    }
}

/// One precise step (NEST `iaf_psc_delta_ps`): arrivals are applied in time order with
/// exact exponential relaxation toward `drive` between them; a spike happens at an
/// excitatory arrival that lifts V to threshold, or where the relaxation itself reaches
/// threshold (the crossing time solved in closed form). Refractoriness lasts exactly
/// `tau_ref`; arrivals during it are discarded.
///
/// Fast path: when no crossing is possible in this step (not refractory, and
/// `max(V, drive) + sum of positive jumps < theta`), the subthreshold dynamics is
/// linear, so V at the step end and its time integral are sums over the arrivals in
/// any order (superposition), and the arrivals need not be sorted. Otherwise they are
/// sorted (stable for ties) and applied one by one.
///
/// `drive` (mV) is constant within the step: bias, latent input and the slow current
/// held at its step-start value (it changes by a fraction `h/tau_s` ~ 1e-3 per step;
/// across steps it is integrated exactly). Spike offsets are pushed to `spikes`;
/// returns the exact integral of V over the step (mV s).
pub fn precise_step(
    nr: &mut Neuron,
    pc: &PopConst,
    h: f64,
    drive: f64,
    arrivals: &mut [Arrival],
    spikes: &mut Vec<f64>,
) -> f64 {
    let tau = pc.tau_m;
    if nr.ref_left <= 0.0 {
        let mut up = 0.0;
        for a in arrivals.iter() {
            up += a.w.max(0.0);
        }
        if nr.v.max(drive) + up < pc.theta {
            // V(h) = drive + (v - drive) P + sum_k w_k exp(-(h - t_k)/tau)
            // int V = drive h + (v - drive) tau (1 - P) + sum_k w_k tau (1 - exp(-(h - t_k)/tau))
            let p = exp_neg(h / tau);
            let inv_tau = 1.0 / tau;
            let mut jump_end = 0.0;
            let mut jump_sum = 0.0;
            for a in arrivals.iter() {
                jump_end += a.w * exp_neg((h - a.t) * inv_tau);
                jump_sum += a.w;
            }
            let v0 = nr.v;
            nr.v = drive + (v0 - drive) * p + jump_end;
            return drive * h + (v0 - drive) * tau * (1.0 - p) + tau * (jump_sum - jump_end);
        }
    }
    sort_arrivals(arrivals);
    let mut st = Precise {
        v: nr.v,
        t: 0.0,
        ref_end: nr.ref_left,
        vint: 0.0,
        drive,
    };
    for a in arrivals.iter() {
        st.advance(pc, a.t, spikes);
        if a.t < st.ref_end {
            continue;
        }
        st.v += a.w;
        if st.v >= pc.theta {
            spikes.push(a.t);
            st.v = pc.v_reset;
            st.ref_end = a.t + pc.tau_ref;
        }
    }
    st.advance(pc, h, spikes);
    nr.v = st.v;
    nr.ref_left = (st.ref_end - h).max(0.0);
    st.vint
}

/// `exp(-x)` for `x >= 0`; a Taylor polynomial for the small arguments of one time
/// step (`x < 1/64`: truncation error below 1e-17 relative, i.e. exact in double precision).
#[inline(always)]
pub fn exp_neg(x: f64) -> f64 {
    if x < 1.0 / 64.0 {
        let y = -x;
        // Horner, degree 7: remainder x^8/8! < 1.5e-19
        1.0 + y
            * (1.0
                + y * (0.5
                    + y * (1.0 / 6.0
                        + y * (1.0 / 24.0
                            + y * (1.0 / 120.0 + y * (1.0 / 720.0 + y * (1.0 / 5040.0)))))))
    } else {
        (-x).exp()
    }
}

struct Precise {
    v: f64,
    t: f64,
    ref_end: f64,
    vint: f64,
    drive: f64,
}

impl Precise {
    /// Move from `self.t` to `to`, handling the end of refractoriness and threshold
    /// crossings of the deterministic relaxation.
    #[inline]
    fn advance(&mut self, pc: &PopConst, to: f64, spikes: &mut Vec<f64>) {
        loop {
            if self.t < self.ref_end {
                let e = self.ref_end.min(to);
                self.vint += pc.v_reset * (e - self.t);
                self.v = pc.v_reset;
                self.t = e;
                if self.t >= to {
                    return;
                }
            }
            let span = to - self.t;
            if span <= 0.0 {
                return;
            }
            let vinf = self.drive;
            if vinf > pc.theta && self.v < pc.theta {
                // V(t) = vinf + (v - vinf) exp(-t/tau) reaches theta at
                let tc = pc.tau_m * ((self.v - vinf) / (pc.theta - vinf)).ln();
                if tc <= span {
                    self.vint +=
                        vinf * tc + (self.v - vinf) * pc.tau_m * (1.0 - exp_neg(tc / pc.tau_m));
                    self.t += tc;
                    spikes.push(self.t);
                    self.v = pc.v_reset;
                    self.ref_end = self.t + pc.tau_ref;
                    continue;
                }
            }
            let e = exp_neg(span / pc.tau_m);
            self.vint += vinf * span + (self.v - vinf) * pc.tau_m * (1.0 - e);
            self.v = vinf + (self.v - vinf) * e;
            self.t = to;
            return;
        }
    }
}

/// Sort arrivals by time, keeping the given order for ties (insertion sort for the
/// usual short lists; an unstable sort for long ones, where equal times of two
/// continuous-time arrivals have probability zero).
#[inline]
pub fn sort_arrivals(a: &mut [Arrival]) {
    if a.len() > 24 {
        a.sort_unstable_by(|x, y| x.t.total_cmp(&y.t));
        return;
    }
    for i in 1..a.len() {
        let x = a[i];
        let mut j = i;
        while j > 0 && a[j - 1].t > x.t {
            a[j] = a[j - 1];
            j -= 1;
        }
        a[j] = x;
    }
}
