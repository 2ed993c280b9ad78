//! Linear response of single neurons (docs/theory.md section 6): the first-order rate
//! response at complex `lambda` to modulations of the input.

pub mod threshold;
