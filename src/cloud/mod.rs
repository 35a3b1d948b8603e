//! (filled by the cloud client work)
