//! Closed-form transfer functions for tests (MODEL.md 2.2): threshold-linear,
//! threshold-power-law and the binary-neuron normal CDF. PROVISIONAL.

use super::Transfer;

/// `gain * [x - theta]_+` (Hz).
#[derive(Clone, Copy, Debug)]
pub struct ThresholdLinear {
    pub theta: f64,
    pub gain: f64,
}

impl Transfer for ThresholdLinear {
    fn rate(&self, x: f64) -> f64 {
        self.gain * (x - self.theta).max(0.0)
    }
    fn drate_dx(&self, x: f64) -> f64 {
        if x > self.theta { self.gain } else { 0.0 }
    }
    fn breakpoints(&self) -> Vec<f64> {
        vec![self.theta]
    }
}
