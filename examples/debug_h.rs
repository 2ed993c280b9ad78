fn main() {
    let m = balnet::Model::from_file(std::path::Path::new("/tmp/bi_fi.toml")).unwrap();
    let mut g = None;
    for i in 0..40 {
        let k = -(i as f64);
        match balnet::theory::latent::reduced_map(&m, balnet::theory::Limit::Finite, &[k], &[0.0], g.as_ref()) {
            Ok((f, st)) => { println!("{k} {} {:?}", f[0] - k, st.rates()); g = Some(st); }
            Err(e) => { println!("{k} err {e}"); }
        }
    }
}
