# Shared fused types: one kernel source serves float32 and float64.
ctypedef fused real_t:
    float
    double
