//! The two diffusion responses of docs/theory.md section 6 against each other: threshold
//! integration of the Fokker-Planck equation (6.2, Richardson 2007) and the closed form
//! with parabolic cylinder functions (6.1, Brunel & Hakim 1999, Lindner &
//! Schimansky-Geier 2001), which were derived and coded independently.

use balnet::transfer::LifParams;
use balnet::transfer::response::{diffusion, threshold};
use num_complex::Complex64;

#[test]
fn threshold_integration_equals_closed_form() {
    let lif = LifParams {
        tau_m: 0.02,
        theta: 20.0,
        v_reset: 10.0,
        tau_ref: 0.002,
    };
    let mut worst: f64 = 0.0;
    for (mu, sigma) in [
        (10.0, 5.0),
        (15.0, 3.0),
        (19.0, 1.0),
        (22.0, 2.0),
        (30.0, 5.0),
        (5.0, 8.0),
    ] {
        for lam in [
            Complex64::new(0.0, 2.0 * std::f64::consts::PI * 1.0),
            Complex64::new(0.0, 2.0 * std::f64::consts::PI * 40.0),
            Complex64::new(0.0, 2.0 * std::f64::consts::PI * 300.0),
            Complex64::new(25.0, 2.0 * std::f64::consts::PI * 150.0),
            Complex64::new(-15.0, 2.0 * std::f64::consts::PI * 80.0),
            Complex64::new(60.0, 0.0),
        ] {
            let t = threshold::susceptibility(&lif, mu, sigma, lam).unwrap();
            let c = diffusion::susceptibility(&lif, mu, sigma, lam).unwrap();
            let e_mu = (t.chi_mu - c.chi_mu).norm() / c.chi_mu.norm();
            let e_s = (t.chi_sigma2 - c.chi_sigma2).norm() / c.chi_sigma2.norm();
            eprintln!(
                "mu {mu} sigma {sigma} lambda {lam:.3}: chi_mu TI {:.9} closed {:.9} ({e_mu:.1e}); chi_s2 ({e_s:.1e})",
                t.chi_mu, c.chi_mu
            );
            worst = worst.max(e_mu).max(e_s);
        }
    }
    eprintln!("worst relative difference {worst:.2e}");
    assert!(worst < 5e-8, "worst relative difference {worst:.2e}");
}
