"""Tiny, randomly initialised real architectures for tests (no checkpoint
exists offline): the model code is the library's own, only the sizes shrink."""
import torch


def tiny_sam():
    from segment_anything.modeling import (ImageEncoderViT, MaskDecoder, PromptEncoder, Sam,
                                           TwoWayTransformer)
    torch.manual_seed(0)
    size, patch, dim = 64, 16, 32
    return Sam(
        image_encoder=ImageEncoderViT(img_size=size, patch_size=patch, embed_dim=32, depth=1, num_heads=2,
                                      mlp_ratio=2.0, out_chans=dim, qkv_bias=True, use_rel_pos=True,
                                      window_size=2, global_attn_indexes=(0,)),
        prompt_encoder=PromptEncoder(embed_dim=dim, image_embedding_size=(size // patch, size // patch),
                                     input_image_size=(size, size), mask_in_chans=4),
        mask_decoder=MaskDecoder(num_multimask_outputs=3, transformer_dim=dim, iou_head_depth=1,
                                 iou_head_hidden_dim=16,
                                 transformer=TwoWayTransformer(depth=1, embedding_dim=dim, mlp_dim=64,
                                                               num_heads=2)),
        pixel_mean=[123.675, 116.28, 103.53], pixel_std=[58.395, 57.12, 57.375]).eval()
