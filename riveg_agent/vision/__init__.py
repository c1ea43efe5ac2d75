"""What the vision stages share: detector decoding, the learned box prior,
captions composed from image evidence."""
