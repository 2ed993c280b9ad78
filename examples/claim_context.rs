//! Context-dependent evidence integration (docs/theory.md 12.1): the `context-integration`
//! preset, every (context, coherence of A, coherence of B) on its own network. Regression
//! slopes of the readout on the relevant and irrelevant coherence, theory against
//! simulation; psychometric (logistic) fits; condition-averaged trajectories.
//!
//! `cargo run --release --example claim_context -- [out_dir] [coherences]` (defaults
//! `out/context`, `-0.2,-0.1,-0.05,0,0.05,0.1,0.2`); writes `claim.json`, `context.png/svg`.

use std::path::PathBuf;
use std::time::Instant;

use balnet::claims::{self, ContextDesign};
use balnet::{plot, presets};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let out = PathBuf::from(a.first().map_or("out/context", String::as_str));
    let start = Instant::now();
    let design = ContextDesign {
        sigma_nm: presets::CONTEXT_SIGMA_NM,
        ctx_shift_mv: presets::CONTEXT_SHIFT_MV,
        coherences: match a.get(1) {
            Some(list) => list
                .split(',')
                .map(|x| x.trim().parse::<f64>())
                .collect::<Result<Vec<f64>, _>>()?,
            None => vec![-0.2, -0.1, -0.05, 0.0, 0.05, 0.1, 0.2],
        },
        stimulus_s: [0.3, 1.3],
        readout_s: 0.1,
        first_seed: 1,
    };
    let r = claims::context_task(&design, false)?;
    std::fs::create_dir_all(&out)?;
    plot::save(&out.join("context"), &plot::claim_context_panels(&r))?;
    std::fs::write(out.join("claim.json"), serde_json::to_string_pretty(&r)?)?;
    println!(
        "gains at kappa = 0 in context A (Hz/mV): {:?}",
        r.theory_gains_context_a
    );
    for c in &r.contexts {
        println!(
            "context {}: slope relevant theory {:.2} sim {:.2} +- {:.2}; irrelevant theory {:.2} sim {:.2} +- {:.2} (Hz per coherence); accuracy {:.3}; kappa RMS {:.1}% of range",
            c.context,
            c.theory_relevant,
            c.sim_relevant.mean,
            c.sim_relevant.sem,
            c.theory_irrelevant,
            c.sim_irrelevant.mean,
            c.sim_irrelevant.sem,
            c.accuracy_relevant,
            100.0 * c.kappa_rms_relative
        );
        for (what, f) in [
            ("relevant", &c.psychometric_relevant),
            ("irrelevant", &c.psychometric_irrelevant),
        ] {
            match f {
                Some(f) => println!(
                    "  psychometric vs {what}: slope {:.1} +- {:.1}, bias {:.2} +- {:.2}",
                    f.slope, f.slope_se, f.bias, f.bias_se
                ),
                None => println!("  psychometric vs {what}: separable choices, no finite fit"),
            }
        }
    }
    println!(
        "{} trials, simulation CPU {:.0} s, total wall {:.0} s",
        r.trials.len(),
        r.sim_cpu_s,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
