    // RMSprop. State slots: 2 square_avg, 3 momentum_buffer (momentum > 0), 4 grad_avg
    // (centered).
    // Flags: 2 = weight decay.
    // Hyperparameters: weight_decay, alpha, 1 - alpha, eps, momentum, -lr.
    if ((flags & 2u) != 0u) {
        g = g + p * hyper(0u);
    }
    let v = {{T}}(f32(square_avg[offset(2u) + i]) * hyper(1u) + (g * g) * hyper(2u));
    square_avg[offset(2u) + i] = v;
    {{DENOMINATOR}}
    {{STEP}}
    p = p + step * hyper(5u);
