//! Regression tests of the simulator's reliability: the exact Poisson sampler for every
//! mean, and network construction that refuses (with an error naming the sizes and the
//! memory) instead of panicking, hanging or aborting. Inputs in `tests/data/repro/`.
//! Every test runs in bounded time (well under a minute in release).

use balnet::model::Model;
use balnet::sim::rng::{Poisson, SimRng, Stream, stream, uniform};
use balnet::sim::{RunOptions, network};
use statrs::distribution::{ChiSquared, ContinuousCDF, Discrete, Poisson as PoissonRef};

fn repro(name: &str) -> Model {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/repro")
        .join(name);
    Model::from_file(&path).unwrap()
}

/// Significance level of each goodness-of-fit test below (two-sided for the moments).
/// With about 15 means tested, the chance that a correct sampler fails any of them is
/// below 15 * 3 * 1e-4 < 0.5% (and the seed is fixed, so the outcome is reproducible).
const ALPHA: f64 = 1e-4;
/// Two-sided normal quantile of `ALPHA`: `Phi^{-1}(1 - ALPHA/2)`.
const Z_ALPHA: f64 = 3.890_591_886_413_112;

/// Outcome of testing `n` draws against Poisson(`lambda`).
#[derive(Debug)]
struct Fit {
    mean_z: f64,
    var_z: f64,
    chi2_p: f64,
    bins: usize,
}

impl Fit {
    fn passes(&self) -> bool {
        self.bins >= 2
            && self.mean_z.abs() < Z_ALPHA
            && self.var_z.abs() < Z_ALPHA
            && self.chi2_p > ALPHA
    }
}

/// Mean and variance z-scores and the chi-square goodness of fit of `draws` against the
/// exact Poisson pmf (statrs, from ln-factorials: independent of the sampler's table).
/// Bins: consecutive counts merged until each expects at least 20 draws; the two tails
/// are merged into the end bins.
fn fit(draws: &Histogram, lambda: f64) -> Fit {
    let n = draws.values().sum::<u64>() as f64;
    let mean = draws
        .iter()
        .map(|(&k, &c)| k as f64 * c as f64)
        .sum::<f64>()
        / n;
    let var = draws
        .iter()
        .map(|(&k, &c)| (k as f64 - mean).powi(2) * c as f64)
        .sum::<f64>()
        / (n - 1.0);
    // Var(sample mean) = lambda/n; Var(sample variance) ~ (mu_4 - sigma^4)/n = (lambda + 2 lambda^2)/n
    let mean_z = (mean - lambda) / (lambda / n).sqrt();
    let var_z = (var - lambda) / ((lambda + 2.0 * lambda * lambda) / n).sqrt();

    let reference = PoissonRef::new(lambda).unwrap();
    let sd = lambda.sqrt();
    let lo = (lambda - 12.0 * sd - 12.0).max(0.0).floor() as u64;
    let hi = (lambda + 12.0 * sd + 12.0).ceil() as u64;
    // bin edges: bins[i] = first count of bin i
    let mut edges = vec![0u64];
    let mut probs = Vec::new();
    let mut acc = 0.0;
    for k in lo..=hi {
        acc += reference.pmf(k);
        if acc * n >= 20.0 {
            probs.push(acc);
            edges.push(k + 1);
            acc = 0.0;
        }
    }
    // the remainder (and the upper tail) joins the last bin
    if let Some(last) = probs.last_mut() {
        *last += acc;
        edges.pop();
    } else {
        probs.push(1.0);
    }
    let total: f64 = probs.iter().sum();
    let probs: Vec<f64> = probs.iter().map(|p| p / total).collect();
    let mut counts = vec![0u64; probs.len()];
    for (&k, &c) in draws {
        let b = edges.partition_point(|&e| e <= k) - 1;
        counts[b] += c;
    }
    let chi2: f64 = counts
        .iter()
        .zip(&probs)
        .map(|(&c, &p)| (c as f64 - n * p).powi(2) / (n * p))
        .sum();
    let bins = probs.len();
    let chi2_p = if bins > 1 {
        1.0 - ChiSquared::new((bins - 1) as f64).unwrap().cdf(chi2)
    } else {
        1.0
    };
    Fit {
        mean_z,
        var_z,
        chi2_p,
        bins,
    }
}

/// Number of draws for mean `lambda`: enough that the tails are resolved (at least
/// 100 non-zero draws for small means).
fn draws_for(lambda: f64) -> usize {
    ((100.0 / lambda) as usize).clamp(200_000, 100_000_000)
}

/// Count of each drawn value.
type Histogram = std::collections::BTreeMap<u64, u64>;

fn sample(lambda: f64, mut draw: impl FnMut(&mut SimRng) -> u64) -> Histogram {
    let mut rng = stream(2026, Stream::Drive, lambda.to_bits());
    let mut h = Histogram::new();
    for _ in 0..draws_for(lambda) {
        *h.entry(draw(&mut rng)).or_insert(0) += 1;
    }
    h
}

const LAMBDAS: [f64; 15] = [
    1e-6, 1e-4, 1e-2, 0.3, 1.2, 7.5, 40.0, 250.0, 300.0, 744.0, 746.0, 1e4, 1e5, 1e6, 1e8,
];

/// `Poisson` against the exact pmf, for means from 1e-6 to 1e8 (table and rejection
/// regimes, and the means where the former sampler failed: 744, 746, 1e5).
#[test]
fn poisson_sampler_is_exact_for_every_mean() {
    for lambda in LAMBDAS {
        let p = Poisson::new(lambda).unwrap();
        let draws = sample(lambda, |r| p.sample(r));
        let f = fit(&draws, lambda);
        println!("lambda {lambda:e}: {f:?}");
        assert!(f.passes(), "lambda {lambda}: {f:?}");
    }
}

/// The former sampler (CDF table from `exp(-lambda)` by the pmf recursion, for every
/// mean) rebuilt here: the test above rejects it where it was wrong (mean 744: mean
/// 733.6, variance 407; from 746 on every draw equals the mean) and accepts it where it
/// was right, so the test has the power to catch the defect.
#[test]
fn goodness_of_fit_rejects_the_former_sampler() {
    fn former_table(lambda: f64) -> Vec<f64> {
        let mut cdf = Vec::new();
        let mut p = (-lambda).exp();
        let mut c = p;
        let mut k = 0.0;
        cdf.push(c);
        while cdf.len() < 100_000 && (k < lambda || p > 1e-20 * c) {
            k += 1.0;
            p *= lambda / k;
            c += p;
            cdf.push(c);
        }
        cdf
    }
    for (lambda, wrong) in [(7.5, false), (744.0, true), (746.0, true), (1e5, true)] {
        let cdf = former_table(lambda);
        let draws = sample(lambda, |r| {
            let u = uniform(r);
            cdf.iter().position(|&c| u < c).unwrap_or(cdf.len() - 1) as u64
        });
        let f = fit(&draws, lambda);
        println!("former sampler, lambda {lambda:e}: {f:?}");
        assert_eq!(!f.passes(), wrong, "lambda {lambda}: {f:?}");
    }
}

#[test]
fn poisson_rejects_invalid_means() {
    for lambda in [-1.0, f64::NAN, f64::INFINITY, 1e300] {
        let e = Poisson::new(lambda).unwrap_err().to_string();
        assert!(e.contains("Poisson mean"), "{e}");
    }
    assert_eq!(
        Poisson::new(0.0)
            .unwrap()
            .sample(&mut stream(1, Stream::Drive, 0)),
        0
    );
}

fn quiet() -> RunOptions {
    RunOptions {
        threads: 1,
        quiet: true,
        out_dir: None,
    }
}

/// Population sizes summing past the machine word: an error naming the field, no panic.
#[test]
fn population_sizes_overflowing_the_word_are_refused() {
    let m = repro("n_sum_overflow_panic.json");
    let e = network::build(&m).unwrap_err().to_string();
    assert!(
        e.contains("populations[1].n") && e.contains("overflow"),
        "{e}"
    );
    let e = balnet::sim::simulate(&m, &quiet()).unwrap_err().to_string();
    assert!(e.contains("populations"), "{e}");
}

/// `k` = 1e18 or 1e12 with every `c` = 0 (it used to reserve `1.3 k` entries per neuron
/// and abort): 1e18 is refused by the Model's magnitude rule; 1e12 has no recurrent
/// synapse at all, so the network is tiny and the run succeeds.
#[test]
fn huge_k_without_recurrent_connections_runs() {
    // k = 1e18 is beyond the magnitude rule of every Model parameter (docs/theory.md
    // section 7): refused by name when read, before anything is built
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/repro/sim_k_1e18_c0.toml");
    let e = Model::from_file(&path)
        .and_then(|m| m.validate().map(|_| m))
        .unwrap_err()
        .to_string();
    assert!(e.contains("k") && e.contains("1e12"), "{e}");
    // k = 1e12 is within it: the network has no recurrent synapses and runs
    let m = repro("sim_k_1e12_c0.toml");
    let net = network::build(&m).unwrap();
    assert_eq!(net.n_synapses(), 0);
    let r = balnet::sim::simulate(&m, &quiet()).unwrap();
    assert_eq!(r.n_synapses, 0);
    for pop in &r.populations {
        assert!(pop.rate_hz.is_finite() && pop.mean_v_mv.is_finite());
    }
}

/// Bernoulli connectivity with a probability below 1e-16 (`c` = 1e-20): ln(1 - p) == 0
/// made the geometric skip loop forever. Now the gap is drawn with ln_1p(-p): the
/// expected number of such connections is 2000 * 1e-20 * 1000 / 500 * 500 = 4e-14, so
/// none exists, and the I -> E block is empty.
#[test]
fn bernoulli_with_tiny_probability_terminates() {
    let m = repro("bernoulli_tiny_p_hang.toml");
    let net = network::build(&m).unwrap();
    // every connection comes from E (2000 neurons, p = 1000/2000 = 0.5)
    for j in 2000..net.n {
        assert!(net.source_range(j).is_empty(), "source {j}");
    }
    let expected = 2500.0 * 1000.0 - 2000.0 * 0.5; // no autapses among E
    let s = net.n_synapses() as f64;
    assert!(
        (s - expected).abs() < 6.0 * (expected * 0.5).sqrt(),
        "{s} synapses"
    );
}

/// A population of 1e9 neurons with 1250 inputs each (1.25e12 synapses): refused before
/// anything is allocated, with the memory it needs and the limit.
#[test]
fn networks_beyond_memory_are_refused_before_allocation() {
    let m = repro("sim_n_1e9_m00216.toml");
    let est = network::memory_estimate(&m);
    assert_eq!(est.neurons, 1e9 + 2000.0);
    // E: 2000 x (1000 + 250); I: 1e9 x (1000 + 250) (c_B K inputs from each population)
    assert!((est.synapses / (1_000_002_000.0 * 1250.0) - 1.0).abs() < 1e-6);
    let e = network::build(&m).unwrap_err().to_string();
    assert!(e.contains("bytes") && e.contains("limit"), "{e}");
    // the run is refused by the first of the run limits it breaks (here the event bound,
    // docs/theory.md section 7), before anything is allocated
    let e2 = balnet::sim::simulate(&m, &quiet()).unwrap_err().to_string();
    assert!(e2.contains("limit"), "{e2}");
}
