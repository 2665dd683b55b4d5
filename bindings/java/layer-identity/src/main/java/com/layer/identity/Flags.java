package com.layer.identity;

/** The {@code LAYER_FLAG_*} values of {@code include/layer_identity.h} (checked by a test). */
final class Flags {
  static final int TYP_JWT = 1;
  static final int ALLOW_1024_BIT_KEY = 2;

  private Flags() {}
}
