    // Adagrad. State slot: 2 sum.
    // Flags: 2 = weight decay.
    // Hyperparameters: weight_decay, eps, -lr / (1 + (step - 1) * lr_decay).
    if ((flags & 2u) != 0u) {
        g = g + p * hyper(0u);
    }
    let s = {{T}}(f32(sum[offset(2u) + i]) + g * g);
    sum[offset(2u) + i] = s;
    p = p + (g / (sqrt(f32(s)) + hyper(1u))) * hyper(2u);
