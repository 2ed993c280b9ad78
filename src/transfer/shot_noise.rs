//! Shot-noise transfer function (MODEL.md 2.2, "Shot noise").
