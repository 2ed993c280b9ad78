//! The count model behind the distribution of measured rates and the comparison's KS
//! distance (docs/theory.md 2.6.2, section 3), against closed forms: the Poisson CDF
//! (statrs, through the regularised incomplete gamma function) below the switch point, the
//! continuity-corrected Gaussian (Cox 1962 renewal variance) above it.

use approx::assert_relative_eq;
use balnet::theory::predictions::counting::{POISSON_BELOW_COUNTS, count_cdf};
use statrs::distribution::{DiscreteCDF, Poisson};

#[test]
fn poisson_branch_equals_the_poisson_cdf() {
    let window = 2.0;
    for &nu in &[1e-4, 0.05, 0.7, 2.0, 4.9] {
        let m = nu * window;
        assert!(m < POISSON_BELOW_COUNTS);
        let reference = Poisson::new(m).unwrap();
        for k in 0..40u64 {
            let ours = count_cdf(nu, window, 0.5, k as i64);
            // statrs' regularised gamma is accurate to about 1e-10 relative
            assert_relative_eq!(ours, reference.cdf(k), max_relative = 1e-9, epsilon = 1e-14);
        }
    }
}

#[test]
fn gaussian_branch_is_the_continuity_corrected_renewal_count() {
    // m = 30 expected spikes, CV 0.6: Gaussian with variance m CV^2
    let (nu, window, cv) = (15.0, 2.0, 0.6);
    let (m, sd) = (30.0f64, (30.0f64 * 0.36).sqrt());
    for k in [20i64, 27, 30, 31, 36, 45] {
        let z = (k as f64 + 0.5 - m) / sd;
        let closed = 0.5 * libm::erfc(-z / std::f64::consts::SQRT_2);
        assert_relative_eq!(count_cdf(nu, window, cv, k), closed, max_relative = 1e-14);
    }
    // a regular train (cv = 0) has its whole count at m
    assert_eq!(count_cdf(nu, window, 0.0, 29), 0.0);
    assert_eq!(count_cdf(nu, window, 0.0, 30), 1.0);
}

#[test]
fn negative_counts_have_no_mass() {
    assert_eq!(count_cdf(3.0, 1.0, 1.0, -1), 0.0);
    assert_eq!(count_cdf(300.0, 1.0, 1.0, -1), 0.0);
}
