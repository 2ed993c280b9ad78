//! Mean-field theory (MODEL.md section 2).
