//! The reference spiking simulator (MODEL.md section 3).
