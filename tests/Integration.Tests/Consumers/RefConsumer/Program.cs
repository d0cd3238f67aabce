using System;
using RefConsumer;

Console.WriteLine(LeNet5.ParameterCount);
Console.WriteLine(string.Join("x", LeNet5.InputShape.ToArray()));
Console.WriteLine(LeNet5.Summary.Split('\n')[0]);
