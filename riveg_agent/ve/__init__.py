"""Visual entailment (VE) as a caption cross-encoder: is an entity's referring
expression groundable in the post's image, judged from the tweet and the
image's descriptions (the tweet images are not available offline)."""
