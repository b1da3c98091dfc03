//! The OnAir server binary.

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    onair::server::run().await
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The binary is built with the "ssr" feature; the library alone is the browser bundle.
}
