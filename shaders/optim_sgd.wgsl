    // SGD. State slot: 2 momentum_buffer (momentum only).
    // Flags: 2 = weight decay, 8 = Nesterov.
    // Hyperparameters: weight_decay, momentum, 1 - dampening, -lr.
    if ((flags & 2u) != 0u) {
        g = g + p * hyper(0u);
    }
    {{MOMENTUM_UPDATE}}
    p = p + g * hyper(3u);
