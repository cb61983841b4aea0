//! How long a text is for each network, and whether it fits. (Being written.)
